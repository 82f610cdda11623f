"""Hub repositories through the stand-in Hub (HF_ENDPOINT): exact stored bytes, never a weight byte read,
cache and offline behaviour, and one clear error per failure.

Reference shape and hand-derived byte totals: tests/standin_hub/expected.py.
"""

from __future__ import annotations

import pytest
from modelmath.tools.registry import run_tool
from standin_hub import models
from standin_hub.expected import AWQ_TOTAL, EMB, FP8_SCALES, FP8_TOTAL, GPTQ_TOTAL, LINEAR, PARAMS, SIXTEEN_BIT

REPO = "acme/Llama-3.1-8B-{}"


def _memory(model: str, **extra) -> dict:
    out = run_tool("memory_estimate", {"model": model, **extra})
    assert not out.is_error, out.result
    return out.result


def _no_weight_bytes(hub, header_ends: dict[str, int]) -> None:
    """Every byte the stand-in served from a weight file lies inside that file's header."""
    for name, end in header_ends.items():
        served = hub.bytes_served(name)
        assert served, f"no header read from {name}"
        assert max(last for _, last in served) < end, (name, served, end)
    assert not [r for r in hub.requests if r.path.startswith("/cdn/") and r.range is None]


@pytest.mark.parametrize(("fmt", "total", "inferred"), [
    ("fp8_block", FP8_TOTAL, "fp8"), ("gptq", GPTQ_TOTAL, "gptq"), ("awq", AWQ_TOTAL, "awq")])
def test_quantised_checkpoint_exact_bytes(hub, publish, fmt, total, inferred):
    repo = REPO.format(fmt)
    _, ends = publish.safetensors_repo(repo, models.config(models.LLAMA_8B, fmt),
                                       models.tensors(models.LLAMA_8B, fmt), shards=3)
    out = _memory(repo)
    assert out["weights_bytes"] == total
    assert out["total_params"] == PARAMS  # from the config: scales and zero points are not parameters
    cp = out["checkpoint"]
    assert (cp["format"], cp["files"], cp["weights_bytes"]) == (inferred, 3, total)
    assert any(f"inferred from the checkpoint: {inferred}" in a for a in out["assumptions"])
    assert out["model"]["name"] == repo and "commit" in out["model"]["shape_source"]
    _no_weight_bytes(hub, ends)


def test_fp8_bytes_by_dtype_and_the_format_name_estimate(hub, publish):
    repo = REPO.format("FP8")
    publish.safetensors_repo(repo, models.config(models.LLAMA_8B, "fp8_block"),
                             models.tensors(models.LLAMA_8B, "fp8_block"), shards=2)
    cp = _memory(repo)["checkpoint"]
    assert {d["dtype"]: d["bytes"] for d in cp["weights_by_dtype"]} == {
        "F8_E4M3": LINEAR, "F32": FP8_SCALES, "BF16": SIXTEEN_BIT}
    assert cp["quant_metadata_bytes"] == FP8_SCALES
    assert (cp["embeddings_bytes"], cp["lm_head_bytes"]) == (EMB * 2, EMB * 2)
    # What `--weights fp8` estimates: 8 bits for every parameter but embedding and LM head (16-bit), no scales.
    assert cp["format_estimate_bytes"] == (PARAMS - 2 * EMB) * 1 + 2 * EMB * 2  # = 9,080,934,400
    # Asking for a format still gives that format's estimate, and says what the checkpoint stores.
    out = _memory(repo, weight_dtype="fp8")
    assert out["weights_bytes"] == (PARAMS - 2 * EMB) + 2 * EMB * 2
    assert any("checkpoint itself stores 9,082,904,576 B" in a for a in out["assumptions"])


def test_fit_and_speed_use_the_stored_bytes(hub, publish):
    repo = REPO.format("GPTQ-Int4")
    publish.safetensors_repo(repo, models.config(models.LLAMA_8B, "gptq"), models.tensors(models.LLAMA_8B, "gptq"))
    fit = run_tool("hardware_fit", {"model": repo, "gpus": ["h100"], "context_tokens": 4096}).result
    assert fit["weights_bytes"] == GPTQ_TOTAL and fit["weight_dtype"] == "gptq"
    speed = run_tool("speed_estimate", {"model": repo, "gpu": "h100", "context_tokens": 4096}).result
    # A decode step reads every stored byte but the input embedding rows (a lookup): GPTQ total - EMB x 2 B.
    assert speed["decode"]["weights_read_per_gpu_bytes"] == GPTQ_TOTAL - EMB * 2
    assert any("weight-only" in w for w in speed["warnings"])  # GPTQ kernels dequantise to 16-bit math


def test_gguf_file_in_a_repository(hub, publish):
    # Q4_K_M mix of Llama-3.1-8B (tests/standin_hub/models.py; llama.cpp src/llama-quant.cpp). Block layouts,
    # ggml-common.h / GGUF spec: Q4_K 144 bytes per 256 weights, Q6_K 210 bytes per 256, F32 4 bytes.
    # use_more_bits picks 16 of 32 layers for Q6_K attn_v and ffn_down (0-3, 28-31, 6, 9, 12, ..., 27).
    def q4k(n):
        return n // 256 * 144

    def q6k(n):
        return n // 256 * 210

    per_layer_q4k = q4k(2 * 4096 * 4096) + q4k(1024 * 4096) + q4k(2 * 14336 * 4096)  # q, o, k, gate, up
    expected = (q4k(EMB) + q6k(EMB) + 4096 * 4  # token_embd, output, output_norm (rope_freqs is a buffer)
                + 32 * (per_layer_q4k + 2 * 4096 * 4)
                + 16 * (q6k(1024 * 4096) + q6k(4096 * 14336)) + 16 * (q4k(1024 * 4096) + q4k(4096 * 14336)))
    assert expected == 4_912_898_048  # the file is 4.58 GiB, llama.cpp's quantize table for Llama-3-8B Q4_K_M
    tokens = [f"tok{i}" for i in range(128256)]
    _, offsets = publish.gguf_repo("acme/Llama-3.1-8B-GGUF", {
        "Llama-3.1-8B-Q4_K_M.gguf": ("llama", models.LLAMA_GGUF_KV, models.q4_k_m_gguf_tensors(), tokens),
        "Llama-3.1-8B-Q8_0.gguf": ("llama", {**models.LLAMA_GGUF_KV, "general.file_type": 7},
                                   [("token_embd.weight", "Q8_0", (128256, 4096))], None)})
    out = _memory("acme/Llama-3.1-8B-GGUF:Llama-3.1-8B-Q4_K_M.gguf")
    assert out["weights_bytes"] == expected
    assert out["total_params"] == PARAMS  # from the GGUF metadata (block_count, head_count, ...)
    assert out["checkpoint"]["format"] == "q4_k_m" and out["checkpoint"]["not_counted"][0]["part"] == "buffer"
    assert any("token_embd" in a and "CPU" in a for a in out["assumptions"])
    _no_weight_bytes(hub, {"Llama-3.1-8B-Q4_K_M.gguf": offsets["Llama-3.1-8B-Q4_K_M.gguf"]})
    # The same file by a pasted URL; the repository alone holds two GGUF files: pick one, we say which.
    hub.clear()
    url = f"{hub.url}/acme/Llama-3.1-8B-GGUF/blob/main/Llama-3.1-8B-Q4_K_M.gguf"
    assert _memory(url)["weights_bytes"] == expected
    err = run_tool("memory_estimate", {"model": "acme/Llama-3.1-8B-GGUF"}).result["error"]
    assert err["reason"] == "no_weights" and "acme/Llama-3.1-8B-GGUF:Llama-3.1-8B-Q4_K_M.gguf" in err["message"]


def test_second_answer_comes_from_the_cache(hub, publish):
    from modelmath.plugin.hub import remote

    repo = REPO.format("AWQ")
    publish.safetensors_repo(repo, models.config(models.LLAMA_8B, "awq"), models.tensors(models.LLAMA_8B, "awq"))
    first = _memory(repo)
    remote._MEMO.clear()  # a new process: only the disk caches remain
    hub.clear()
    second = _memory(repo)
    assert second["weights_bytes"] == first["weights_bytes"] == AWQ_TOTAL
    assert [r.path.split("?")[0] for r in hub.requests] == [f"/api/models/{repo}"]  # the commit check only
    assert "headers from the cache" in second["model"]["shape_source"]


def test_offline(hub, publish, monkeypatch):
    from modelmath.plugin.hub import remote

    repo = REPO.format("bf16")
    publish.safetensors_repo(repo, models.LLAMA_8B, models.tensors(models.LLAMA_8B, "bf16"), shards=2)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    err = run_tool("memory_estimate", {"model": repo}).result["error"]
    assert err["reason"] == "offline_not_cached" and "HF_HUB_OFFLINE" in err["message"]
    assert hub.requests == []
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert _memory(repo)["weights_bytes"] == PARAMS * 2  # bf16: two bytes per parameter, nothing else
    remote._MEMO.clear()
    hub.clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = _memory(repo)
    assert out["weights_bytes"] == PARAMS * 2 and hub.requests == []
    assert any("HF_HUB_OFFLINE is set: answered from the cache" in n for n in out["model"]["notes"])


def _closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more: connection refused


def test_network_unreachable(hub, publish, monkeypatch):
    from modelmath.plugin.hub import remote

    repo = REPO.format("net")
    publish.safetensors_repo(repo, models.LLAMA_8B, models.tensors(models.LLAMA_8B, "bf16"))
    monkeypatch.setenv("HF_ENDPOINT", _closed_port_url())
    err = run_tool("memory_estimate", {"model": repo}).result["error"]
    assert err["reason"] == "network" and "cannot reach the Hub" in err["message"]
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    _memory(repo)
    remote._MEMO.clear()
    monkeypatch.setenv("HF_ENDPOINT", _closed_port_url())
    out = _memory(repo)  # answered from the cache, and it says so
    assert out["weights_bytes"] == PARAMS * 2
    assert any("could not be reached" in n for n in out["model"]["notes"])


def test_gated_repository(hub, publish, monkeypatch):
    from modelmath.plugin.hub import remote

    repo = "acme/Gated-8B"
    publish.safetensors_repo(repo, models.LLAMA_8B, models.tensors(models.LLAMA_8B, "bf16"), gated=True,
                             accepted_tokens=("hf_accepted",))
    err = run_tool("parameter_count", {"model": repo}).result["error"]
    assert err["reason"] == "gated" and "HF_TOKEN" in err["message"] and "licence" in err["message"]
    monkeypatch.setenv("HF_TOKEN", "hf_not_accepted")  # 403: authenticated, licence not accepted
    err = run_tool("parameter_count", {"model": repo}).result["error"]
    assert err["reason"] == "gated" and "has not accepted" in err["message"]
    monkeypatch.setenv("HF_TOKEN", "hf_invalid")
    err = run_tool("parameter_count", {"model": repo}).result["error"]
    assert err["reason"] == "unauthorized" and "check the token" in err["message"]
    monkeypatch.setenv("HF_TOKEN", "hf_accepted")
    remote._MEMO.clear()
    hub.clear()
    out = run_tool("parameter_count", {"model": repo}).result
    assert out["total_params"] == PARAMS
    assert all(r.authorization == "Bearer hf_accepted" for r in hub.requests if "/resolve/" in r.path)


def test_missing_repository_revision_and_empty_repository(hub, publish):
    err = run_tool("kv_cache", {"model": "nobody/nothing-here", "context_tokens": 8}).result["error"]
    assert err["reason"] == "repo_not_found" and "nobody/nothing-here" in err["message"]
    # A name the catalog knows, from another publisher: the Hub is asked, and the catalog offered.
    err = run_tool("kv_cache", {"model": "nobody/Llama-3.1-8B", "context_tokens": 8}).result["error"]
    assert err["reason"] == "repo_not_found" and "give 'llama-3.1-8b'" in err["message"]
    publish.safetensors_repo("acme/tiny", models.LLAMA_8B, models.tensors(models.LLAMA_8B, "bf16"))
    err = run_tool("kv_cache", {"model": "acme/tiny@v9", "context_tokens": 8}).result["error"]
    assert err["reason"] == "revision_not_found" and "'v9'" in err["message"]
    d = publish.folder("acme/empty")
    (d / "README.md").write_text("nothing\n")
    publish.publish("acme/empty", d)
    err = run_tool("kv_cache", {"model": "acme/empty", "context_tokens": 8}).result["error"]
    assert err["reason"] == "no_weights" and "no config.json" in err["message"]


def test_config_without_safetensors(hub, publish):
    d = publish.folder("acme/bin-only")
    (d / "config.json").write_text(__import__("json").dumps(models.LLAMA_8B))
    (d / "pytorch_model.bin").write_bytes(b"\0" * 16)
    publish.publish("acme/bin-only", d)
    out = _memory("acme/bin-only")
    assert "checkpoint" not in out and out["weights_bytes"] == PARAMS * 2  # bf16 estimate, said in notes
    assert any("estimated from the format" in n for n in out["model"]["notes"])


def test_catalog_or_hub(hub, publish):
    # The publisher's own repository is the catalog entry: no request at all, and the Hub is offered.
    out = run_tool("parameter_count", {"model": "meta-llama/Llama-3.1-8B-Instruct"}).result
    assert out["model"]["catalog_id"] == "llama-3.1-8b" and hub.requests == []
    assert any("'meta-llama/Llama-3.1-8B-Instruct@main'" in n for n in out["model"]["notes"])
    # A revision asks the Hub.
    publish.safetensors_repo("meta-llama/Llama-3.1-8B-Instruct", models.LLAMA_8B,
                             models.tensors(models.LLAMA_8B, "bf16"))
    out = run_tool("parameter_count", {"model": "meta-llama/Llama-3.1-8B-Instruct@main"}).result
    assert "catalog_id" not in out["model"] and out["checkpoint"]["weights_bytes"] == PARAMS * 2
    # A quantised re-upload by someone else is read from the Hub, with the catalog entry offered.
    publish.safetensors_repo("RedHatAI/Llama-3.1-8B-Instruct-FP8", models.config(models.LLAMA_8B, "fp8_block"),
                             models.tensors(models.LLAMA_8B, "fp8_block"))
    out = _memory("RedHatAI/Llama-3.1-8B-Instruct-FP8")
    assert out["weights_bytes"] == FP8_TOTAL
    assert any("give 'llama-3.1-8b'" in n for n in out["model"]["notes"])


def test_not_a_hub_url(hub):
    err = run_tool("parameter_count", {"model": "https://example.com/org/name"}).result["error"]
    assert err["reason"] == "not_a_hub_url" and hub.requests == []


def test_model_lookup_of_a_hub_repository(hub, publish):
    publish.safetensors_repo("acme/Lookup-FP8", models.config(models.LLAMA_8B, "fp8_block"),
                             models.tensors(models.LLAMA_8B, "fp8_block"))
    out = run_tool("model_lookup", {"model": "acme/Lookup-FP8"}).result
    assert out["total_params"] == PARAMS and out["checkpoint"]["weights_bytes"] == FP8_TOTAL
    assert out["shape"]["kv_heads"] == 8 and "catalog_id" not in out["model"]
    assert run_tool("model_lookup", {"model": "llama-3.1-8b"}).result["model"]["id"] == "llama-3.1-8b"


def test_a_commit_pinned_reference_is_answered_from_the_cache_without_asking(hub, publish):
    from modelmath.plugin.hub import remote

    commit, _ = publish.safetensors_repo("acme/pinned", models.LLAMA_8B, models.tensors(models.LLAMA_8B, "bf16"))
    assert _memory(f"acme/pinned@{commit}")["weights_bytes"] == PARAMS * 2
    remote._MEMO.clear()
    hub.clear()
    assert _memory(f"acme/pinned@{commit}")["weights_bytes"] == PARAMS * 2
    assert hub.requests == []  # a commit never changes
