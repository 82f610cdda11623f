"""Hub repositories: config.json and tensor headers over HTTP, never weight data.

Requests for `org/name[@rev]` (huggingface_hub, honouring HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_OFFLINE):
1. GET /api/models/org/name[/revision/REV]?blobs=true - the commit and the file list with sizes (1 request).
   A cached commit stops here: its headers are in our cache (cache.py), nothing else is fetched.
2. config.json (and model.safetensors.index.json) with hf_hub_download: HEAD + GET, stored in the HF cache.
   Sizes are checked against the caps first, from the file list.
3. Per safetensors file, two Range requests: bytes 0-7 (the header length N), then bytes 8..8+N-1. Unlike
   huggingface_hub's get_safetensors_metadata, which asks for the first 100,000 bytes and so reads weight
   data whenever a header is shorter, we never ask past the header. Shards are read 8 at a time.
4. A GGUF file: Range requests that never pass the least possible end of its header (GGUFParser.need).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from modelmath.tools import jsonsafe
from modelmath.tools.errors import ModelUnavailable
from modelmath.tools.model.checkpoint import (
    MAX_INDEX_BYTES,
    Checkpoint,
    TensorRecord,
    parse_safetensors_header,
    safetensors_header_length,
)
from modelmath.tools.model.gguf import GGUFParser
from modelmath.tools.model.hf_config import MAX_CONFIG_BYTES, NONFINITE_KEYS
from modelmath.tools.model.reference import ModelRef

from .. import files
from . import cache
from .local import INDEX, gguf_choices, safetensors_files, split_parts
from .settings import DEFAULT_ENDPOINT, HubSettings

# huggingface_hub reports usage to the Hub (e.g. a daily request to /api/agent-harnesses) unless told not to;
# a calculator that only reads headers has no reason to. The user can still opt in by setting it to 0.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

log = logging.getLogger("modelmath.hub")
_HUB_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}
_MEMO: dict[tuple, Checkpoint] = {}  # this process's answers (an MCP server or chat asks again and again)
_PARALLEL = 8
MAX_API_BYTES = 32 * 2**20  # /api/models with blobs: ~150 bytes per file


def _fail(message: str, reason: str) -> ModelUnavailable:
    return ModelUnavailable(message, reason=reason)


def _net_errors() -> tuple[type[BaseException], ...]:
    try:
        import httpx2 as httpx
    except ImportError:  # huggingface_hub < 2 uses httpx
        import httpx
    return (httpx.TransportError, TimeoutError, ConnectionError)


def _hub_errors() -> tuple[type[BaseException], ...]:
    from huggingface_hub import errors as e

    return (e.HfHubHTTPError, e.OfflineModeIsEnabled, e.LocalEntryNotFoundError)


def _map(exc: BaseException, s: HubSettings, repo: str, rev: str, what: str = "") -> ModelUnavailable:
    """One clear line per failure; `what` names the file when one was asked for."""
    from huggingface_hub import errors as e

    where = f"{s.endpoint}/{repo}"
    if isinstance(exc, e.GatedRepoError):
        has_token = exc.response is not None and exc.response.status_code == 403
        return _fail(f"{repo} is gated: " + ("the account of your HF_TOKEN has not accepted its licence; accept it "
                                             f"at {where}" if has_token else
                                             f"accept its licence at {where} and set HF_TOKEN to a token of that "
                                             "account"), "gated")
    if isinstance(exc, e.RevisionNotFoundError):
        return _fail(f"revision {rev!r} not found in {repo} on {s.endpoint}", "revision_not_found")
    if isinstance(exc, e.RepositoryNotFoundError):
        return _fail(f"repository {repo} not found on {s.endpoint} (a private repository needs HF_TOKEN)",
                     "repo_not_found")
    if isinstance(exc, e.RemoteEntryNotFoundError):
        return _fail(f"{what or 'a file'} not found in {repo}@{rev}", "file_not_found")
    if isinstance(exc, e.HfHubHTTPError):
        code = exc.response.status_code if exc.response is not None else "?"
        if code == 401:
            return _fail(f"the Hub refused HF_TOKEN for {repo} (401): check the token", "unauthorized")
        return _fail(f"the Hub answered HTTP {code} for {repo}{' ' + what if what else ''}", "hub_error")
    if isinstance(exc, e.OfflineModeIsEnabled | e.LocalEntryNotFoundError):
        return _fail(f"offline and {repo}@{rev} is not cached: run once with network access (unset "
                     "HF_HUB_OFFLINE) to cache its headers", "offline_not_cached")
    return _fail(f"cannot reach the Hub at {s.endpoint} ({type(exc).__name__}: {str(exc)[:120] or 'no answer'}) and "
                 f"{repo}@{rev} is not cached; check the network or HF_ENDPOINT", "network")


def _label(ref: ModelRef) -> str:
    label = ref.repo_id or ref.text
    if ref.revision:
        label += f"@{ref.revision}"
    return label + (f":{ref.filename}" if ref.filename else "")


def _source(s: HubSettings, repo: str, rev: str, commit: str, cp_files: tuple[str, ...], container: str | None,
            how: str) -> str:
    hub = "Hugging Face Hub" + ("" if s.endpoint == DEFAULT_ENDPOINT else f" at {s.endpoint}")
    what = {"safetensors": f"config.json + {len(cp_files)} safetensors header(s)",
            "gguf": f"GGUF header of {', '.join(cp_files[:2])}{' …' if len(cp_files) > 2 else ''}"}.get(
        container or "", "config.json (no safetensors)")
    return f"{hub}: {repo} @ {rev} (commit {commit[:12]}): {what}, {how}"


def _from_cache(s: HubSettings, ref: ModelRef, rev: str, why: str, err: ModelUnavailable) -> Checkpoint:
    repo = ref.repo_id
    commit = cache.commit_for(s, repo, rev)
    key = f"gguf:{ref.filename}" if ref.filename else (commit and cache.default_key(s, repo, commit))
    entry = cache.load(s, repo, commit, key) if commit and key else None
    if entry is None:
        raise err
    notes = (f"{why}: answered from the cache (commit {commit[:12]})",) if why else ()
    return cache.checkpoint_from(entry, _label(ref), _source(s, repo, rev, commit, tuple(entry["files"]),
                                                             entry.get("container"), "from the cache"), notes)


def _cached(s: HubSettings, ref: ModelRef, commit: str) -> Checkpoint | None:
    try:
        return _from_cache(s, ref, commit, "", _fail("", "offline_not_cached"))
    except ModelUnavailable:
        return None


def read_hub(ref: ModelRef) -> Checkpoint:
    s = HubSettings.from_env()
    repo, rev = ref.repo_id, ref.revision or "main"
    if ref.kind == "url":
        allowed = _HUB_HOSTS | {s.endpoint.split("://", 1)[-1].split("/", 1)[0].split(":")[0].lower()}
        if ref.host not in allowed:
            raise _fail(f"{ref.text} is not a Hugging Face Hub URL (hosts: {', '.join(sorted(allowed))})",
                        "not_a_hub_url")
    memo_key = (repo, rev, ref.filename, s)
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    pinned = cache.COMMIT.match(rev) and _cached(s, ref, rev)
    if pinned:
        cp = pinned  # a commit never changes: its cached headers answer without asking the Hub
    elif s.offline:
        cp = _from_cache(s, ref, rev, "HF_HUB_OFFLINE is set",
                         _fail(f"offline (HF_HUB_OFFLINE) and {_label(ref)} is not cached: run once online to cache "
                               "its headers", "offline_not_cached"))
    else:
        cp = _read_online(s, ref, repo, rev)
    _MEMO[memo_key] = cp
    return cp


def _model_info(s: HubSettings, ref: ModelRef) -> tuple[str, dict[str, int | None]]:
    """(commit, {file: size}) from /api/models (what HfApi.model_info asks, without importing hf_api: ~0.15 s
    of a cached answer's start-up)."""
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    url = f"{s.endpoint}/api/models/{ref.repo_id}"
    if ref.revision is not None:
        url += f"/revision/{quote(ref.revision, safe='')}"
    with get_session().stream("GET", url, headers=build_hf_headers(), params={"blobs": "true"},
                              timeout=s.timeout_s) as r:
        if r.status_code >= 400:
            r.read()  # an error body is a line of JSON; hf_raise_for_status reads its code and message
            hf_raise_for_status(r)
        body = bytearray()
        for chunk in r.iter_bytes():
            body += chunk
            if len(body) > MAX_API_BYTES:
                raise _fail(f"the Hub's file list of {ref.repo_id} is over {MAX_API_BYTES:,} bytes", "too_large")
    info = jsonsafe.loads(bytes(body), what=f"the Hub's answer for {ref.repo_id}")
    if not isinstance(info, dict) or not isinstance(info.get("sha"), str):
        raise _fail(f"the Hub's answer for {ref.repo_id} has no commit (is HF_ENDPOINT a Hub?)", "hub_error")
    sizes = {x["rfilename"]: x.get("size") for x in info.get("siblings") or []
             if isinstance(x, dict) and isinstance(x.get("rfilename"), str)}
    return info["sha"], sizes


def _read_online(s: HubSettings, ref: ModelRef, repo: str, rev: str) -> Checkpoint:
    try:
        commit, sizes = _model_info(s, ref)
    except _net_errors() as exc:
        return _from_cache(s, ref, rev, f"the Hub could not be reached ({type(exc).__name__})", _map(exc, s, repo, rev))
    except _hub_errors() as exc:
        raise _map(exc, s, repo, rev) from None
    cache.remember_ref(s, repo, rev, commit)
    key = _choose(ref, repo, rev, sizes)
    entry = cache.load(s, repo, commit, key)
    if entry is not None:
        return cache.checkpoint_from(entry, _label(ref), _source(s, repo, rev, commit, tuple(entry["files"]),
                                                                 entry.get("container"), "headers from the cache"))
    try:
        cp = _fetch(s, ref, repo, commit, key, sizes)
    except (*_net_errors(), *_hub_errors()) as exc:
        raise _map(exc, s, repo, rev) from None
    cache.save(s, repo, commit, key, cp, default=ref.filename is None)
    return Checkpoint(label=_label(ref), source=_source(s, repo, rev, commit, cp.files, cp.container, "read now"),
                      container=cp.container, files=cp.files, config=cp.config, gguf_metadata=cp.gguf_metadata,
                      tensors=cp.tensors)


def _choose(ref: ModelRef, repo: str, rev: str, sizes: dict[str, int | None]) -> str:
    """What to read: the GGUF file asked for, else config.json + safetensors, else the repository's only GGUF."""
    ggufs = gguf_choices(list(sizes))
    if ref.filename:
        if ref.filename not in sizes:
            raise _fail(f"{ref.filename} not found in {repo}@{rev}" + (f"; its GGUF files: {', '.join(ggufs[:8])}"
                                                                       if ggufs else ""), "file_not_found")
        return f"gguf:{ref.filename}"
    if "config.json" in sizes:
        return "safetensors"
    if len(ggufs) == 1:
        return f"gguf:{ggufs[0]}"
    if ggufs:
        raise _fail(f"{repo} holds {len(ggufs)} GGUF files and no config.json; pick one as {repo}:FILE, e.g. "
                    + ", ".join(f"{repo}:{g}" for g in ggufs[:3]), "no_weights")
    raise _fail(f"{repo}@{rev} has no config.json and no .gguf file: nothing to read a model from", "no_weights")


def _fetch(s: HubSettings, ref: ModelRef, repo: str, commit: str, key: str, sizes: dict) -> Checkpoint:
    from huggingface_hub import hf_hub_download, hf_hub_url
    from huggingface_hub.utils import build_hf_headers, disable_progress_bars

    disable_progress_bars()  # config.json is a few kB; a bar on stderr would only be noise
    headers = build_hf_headers()  # HF_TOKEN (read now) and the user agent

    def url(name: str) -> str:
        return hf_hub_url(repo, name, revision=commit, endpoint=s.endpoint)

    if key.startswith("gguf:"):
        parts = split_parts(key[5:])
        missing = [p for p in parts if p not in sizes]
        if missing:
            raise _fail(f"{missing[0]} (a part of {key[5:]}) is missing from {repo}", "file_not_found")
        found = _parallel([(lambda p=p: _gguf(s, url(p), p, headers)) for p in parts])
        return Checkpoint(label="", source="", container="gguf", files=tuple(parts),
                          gguf_metadata=dict(found[0].metadata), tensors=tuple(t for h in found for t in h.tensors))

    def download(name: str, cap: int) -> str:
        if (sizes.get(name) or 0) > cap:
            raise _fail(f"{repo}: {name} is {sizes[name]:,} bytes; at most {cap:,} are read", "too_large")
        return hf_hub_download(repo, name, revision=commit, endpoint=s.endpoint, cache_dir=s.hub_cache,
                               etag_timeout=s.timeout_s)

    config = files.read_json_object(download("config.json", MAX_CONFIG_BYTES), MAX_CONFIG_BYTES,
                                    what=f"{repo} config.json", nonfinite_as_null=NONFINITE_KEYS)
    shards = safetensors_files(list(sizes), lambda n: files.read_bytes(download(n, MAX_INDEX_BYTES), MAX_INDEX_BYTES,
                                                                        what=f"{repo} {n}"))
    missing = [x for x in shards if x not in sizes]
    if missing:
        raise _fail(f"{repo}: shard {missing[0]} named by {INDEX} is not in the repository", "no_weights")
    if not shards:
        return Checkpoint(label="", source="", container=None, config=config)
    per_file = _parallel([(lambda f=f: _safetensors(s, url(f), f, headers, sizes.get(f))) for f in shards])
    return Checkpoint(label="", source="", container="safetensors", files=shards, config=config,
                      tensors=tuple(t for ts in per_file for t in ts))


def _parallel(jobs: list) -> list:
    if len(jobs) == 1:
        return [jobs[0]()]
    with ThreadPoolExecutor(max_workers=min(_PARALLEL, len(jobs))) as pool:
        return list(pool.map(lambda job: job(), jobs))


def _range(s: HubSettings, url: str, start: int, end: int, headers: dict) -> bytes:
    """Bytes [start, end) of a file; refuses to read more than asked even if the server ignores Range."""
    from huggingface_hub.utils import get_session, hf_raise_for_status

    want = end - start
    with get_session().stream("GET", url, headers={**headers, "Range": f"bytes={start}-{end - 1}"},
                              timeout=s.timeout_s) as r:
        if r.status_code >= 400:
            r.read()
            hf_raise_for_status(r)
        if r.status_code == 200 and start:
            raise _fail(f"{url} ignored a Range request; refusing to download the file", "hub_error")
        out = bytearray()
        for chunk in r.iter_bytes():
            out += chunk
            if len(out) > want:  # a server that ignored Range: stop at what we asked for, drop the connection
                break
    if len(out) < want:
        raise _fail(f"{url}: got {len(out):,} of {want:,} header bytes", "hub_error")
    return bytes(out[:want])


def _safetensors(s: HubSettings, url: str, name: str, headers: dict, size: int | None) -> tuple[TensorRecord, ...]:
    n = safetensors_header_length(_range(s, url, 0, 8, headers), name)
    return parse_safetensors_header(_range(s, url, 8, 8 + n, headers), name, size)


def _gguf(s: HubSettings, url: str, name: str, headers: dict):
    parser = GGUFParser(name)
    while not parser.done:
        parser.feed(_range(s, url, parser.received, parser.need, headers))
    return parser.header()
