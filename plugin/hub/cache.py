"""Our cache of what was read from the Hub, beside huggingface_hub's (HF_HOME/modelmath/checkpoints):

    models--ORG--NAME/refs/<revision>         the commit the revision pointed to when last asked
    models--ORG--NAME/<commit>/<key>.json     config (and GGUF metadata) of one checkpoint at that commit
    models--ORG--NAME/<commit>/<key>.tensors.tsv   its tensor table: name, dtype, shape, stored bytes, file
    models--ORG--NAME/<commit>/default        which key a bare `org/name` read at that commit

Commits are immutable, so an entry never goes stale; a branch's ref is refreshed whenever the Hub answers.
config.json and the safetensors index also sit in the huggingface_hub cache (hf_hub_download put them
there); the entry repeats the config so an offline answer depends on one file only.
"""

from __future__ import annotations

import json
import logging
import os
import re
from urllib.parse import quote

from modelmath.tools import jsonsafe
from modelmath.tools.errors import ModelMathError
from modelmath.tools.model.checkpoint import Checkpoint, TensorRecord

from .settings import HubSettings

log = logging.getLogger("modelmath.hub")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
MAX_ENTRY_BYTES = 256 * 2**20


def _repo_dir(s: HubSettings, repo: str) -> str:
    return os.path.join(s.header_cache, "models--" + repo.replace("/", "--"))


def _name(text: str) -> str:
    return quote(text, safe="")  # revisions and file names may hold '/'


def _write(path: str, text: str) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)  # readers never see half a file
    except OSError as exc:  # a read-only cache costs speed, not the answer
        log.warning("could not write the header cache %s: %s", path, exc)


def _read(path: str, cap: int = MAX_ENTRY_BYTES) -> str | None:
    try:
        if os.path.getsize(path) > cap:
            return None
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def commit_for(s: HubSettings, repo: str, revision: str) -> str | None:
    if COMMIT.match(revision):
        return revision
    text = _read(os.path.join(_repo_dir(s, repo), "refs", _name(revision)), 100)
    return text.strip() if text and COMMIT.match(text.strip()) else None


def remember_ref(s: HubSettings, repo: str, revision: str, commit: str) -> None:
    if revision != commit:
        _write(os.path.join(_repo_dir(s, repo), "refs", _name(revision)), commit)


def default_key(s: HubSettings, repo: str, commit: str) -> str | None:
    text = _read(os.path.join(_repo_dir(s, repo), commit, "default"), 4096)
    return text.strip() if text else None


def _tensors_path(folder: str, key: str) -> str:
    return os.path.join(folder, _name(key) + ".tensors.tsv")


def load(s: HubSettings, repo: str, commit: str, key: str) -> dict | None:
    folder = os.path.join(_repo_dir(s, repo), commit)
    text = _read(os.path.join(folder, _name(key) + ".json"))
    table = _read(_tensors_path(folder, key))
    if text is None or table is None:
        return None
    try:
        entry = jsonsafe.loads(text, what="header cache entry")
        if not isinstance(entry, dict) or entry.get("version") != 2:
            return None
        entry["tensors"] = _parse_table(table)
    except (ModelMathError, ValueError):
        return None  # damaged: read again
    return entry


def _parse_table(table: str) -> tuple[TensorRecord, ...]:
    # A tab-separated table, not JSON: DeepSeek-V3 has 91k tensors, and walking them as JSON values under
    # jsonsafe's limits took seconds of every cached answer.
    out = []
    for line in table.splitlines():
        name, dtype, shape, nbytes, file = line.split("\t")
        out.append(TensorRecord(name, dtype, tuple(int(d) for d in shape.split(",") if d), int(nbytes), file))
    return tuple(out)


def save(s: HubSettings, repo: str, commit: str, key: str, cp: Checkpoint, *, default: bool) -> None:
    if any("\t" in t.name or "\n" in t.name or "\t" in t.file or "\n" in t.file for t in cp.tensors):
        return  # names a table cannot hold: such a checkpoint is simply read again next time
    entry = {"version": 2, "container": cp.container, "files": list(cp.files), "config": cp.config,
             "gguf_metadata": cp.gguf_metadata}
    folder = os.path.join(_repo_dir(s, repo), commit)
    _write(_tensors_path(folder, key), "\n".join(
        f"{t.name}\t{t.dtype}\t{','.join(map(str, t.shape))}\t{t.nbytes}\t{t.file}" for t in cp.tensors))
    _write(os.path.join(folder, _name(key) + ".json"), json.dumps(entry, separators=(",", ":")))
    if default:
        _write(os.path.join(folder, "default"), key)


def checkpoint_from(entry: dict, label: str, source: str, notes: tuple[str, ...] = ()) -> Checkpoint:
    return Checkpoint(label=label, source=source, container=entry.get("container"), files=tuple(entry["files"]),
                      config=entry.get("config"), gguf_metadata=entry.get("gguf_metadata"), tensors=entry["tensors"],
                      notes=notes)
