"""The stand-in Hub for the hub tests, reached only through HF_ENDPOINT.

huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_DISABLE_TELEMETRY once, at import. So the stand-in
starts when this conftest is imported, before any test imports huggingface_hub, and the environment points
at it for the whole session: no test can reach the real Hub (telemetry off also stops huggingface_hub's daily
/api/agent-harnesses fetch). Each test then gets its own HF_HOME, so caches never leak between tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from standin_hub.checkpoints import write_gguf, write_safetensors, write_sharded
from standin_hub.server import StandinHub

_HUB = StandinHub().start()
_ROOT = tempfile.mkdtemp(prefix="standin-hub-")
os.environ["HF_ENDPOINT"] = _HUB.url
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HOME"] = os.path.join(_ROOT, "hf-home-import")
for _var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE",
             "HUGGINGFACE_HUB_CACHE"):
    os.environ.pop(_var, None)
import huggingface_hub  # noqa: E402,F401 - fix its import-time constants to the stand-in now


def pytest_sessionfinish(session, exitstatus):
    _HUB.stop()
    shutil.rmtree(_ROOT, ignore_errors=True)


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """The stand-in, its request log cleared; a fresh HF_HOME; no token, online."""
    from modelmath.plugin.hub import install, remote

    install()
    remote._MEMO.clear()
    _HUB.clear()
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for var in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE"):
        monkeypatch.delenv(var, raising=False)
    yield _HUB
    remote._MEMO.clear()


class Publisher:
    """Builds checkpoint folders under a per-test directory and publishes them on the stand-in."""

    def __init__(self, hub: StandinHub, root):
        self.hub, self.root = hub, root

    def folder(self, name: str):
        d = self.root / name.replace("/", "__")
        d.mkdir(parents=True, exist_ok=True)
        return d

    def publish(self, repo_id: str, folder, **kw) -> str:
        files = {str(p.relative_to(folder)): str(p) for p in folder.rglob("*") if p.is_file()}
        return self.hub.add_repo(repo_id, files, **kw)

    def safetensors_repo(self, repo_id: str, config: dict | None, tensors, shards: int = 1, **kw):
        import json

        d = self.folder(repo_id)
        if config is not None:
            (d / "config.json").write_text(json.dumps(config))
        if shards == 1:
            ends = {"model.safetensors": write_safetensors(str(d / "model.safetensors"), tensors)}
        else:
            ends = write_sharded(str(d), tensors, shards)
        return self.publish(repo_id, d, **kw), ends

    def gguf_repo(self, repo_id: str, files: dict[str, tuple], **kw):
        """files: name → (arch, kv, tensors, tokens)."""
        d = self.folder(repo_id)
        offsets = {}
        for name, (arch, kv, tensors, tokens) in files.items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            offsets[name] = write_gguf(str(d / name), arch, kv, tensors, tokens)
        (d / "README.md").write_text("GGUF quantisations\n")
        return self.publish(repo_id, d, **kw), offsets


@pytest.fixture
def publish(hub, tmp_path):
    return Publisher(hub, tmp_path / "repos")
