"""A stand-in Hugging Face Hub: the HTTP surface huggingface_hub and modelmath use, served from files on disk.

Routes, in the shapes huggingface_hub 2.x expects (read from huggingface_hub/file_download.py, hf_api.py and
utils/_http.py):
- GET /api/models/{repo} and /api/models/{repo}/revision/{rev}[?blobs=true]: {"id", "sha", "siblings":
  [{"rfilename", "size", "blobId", "lfs"}], "gated", "private"} (ModelInfo(**json)).
- HEAD/GET /{repo}/resolve/{rev}/{path}: small files answer directly with ETag, X-Repo-Commit and
  Content-Length; LFS files (.safetensors, .gguf) answer 302 to /cdn/... with X-Linked-Etag, X-Linked-Size
  and X-Repo-Commit (get_hf_file_metadata reads those), and the CDN honours Range (206 + Content-Range).
- Errors carry X-Error-Code, which hf_raise_for_status maps to exceptions: RepoNotFound (401 without a
  token, as the Hub answers for missing or private repositories), GatedRepo (401 without a token, 403 with
  one whose account has not accepted the licence), RevisionNotFound (404), EntryNotFound (404).

Every request is logged (method, path, Range, bytes of body sent) so tests can assert that no weight bytes
were read.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".gguf", ".bin")


@dataclass
class Repo:
    repo_id: str
    refs: dict[str, str] = field(default_factory=dict)  # revision → commit
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # commit → {path in repo: path on disk}
    gated: bool = False
    accepted_tokens: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    range: str | None
    status: int
    body_bytes: int
    authorization: str | None


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class StandinHub:
    def __init__(self):
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- set-up --
    def add_repo(self, repo_id: str, files: dict[str, str], *, revision: str = "main", gated: bool = False,
                 accepted_tokens: tuple[str, ...] = ()) -> str:
        """Publish `files` (path in repo → path on disk) as a commit on `revision`; returns the commit."""
        repo = self.repos.setdefault(repo_id, Repo(repo_id))
        repo.gated = repo.gated or gated
        repo.accepted_tokens |= set(accepted_tokens)
        commit = _sha(f"{repo_id}@{revision}#{len(repo.files)}")
        repo.files[commit] = dict(files)
        repo.refs[revision] = commit
        return commit

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StandinHub:
        hub = self

        class Handler(_Handler):
            standin = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- assertions --
    def log(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def bytes_served(self, suffix: str) -> list[tuple[int, int]]:
        """(first byte, last byte) of every body served for CDN files whose name ends with `suffix`."""
        out = []
        for r in self.requests:
            if r.path.startswith("/cdn/") and r.path.endswith(suffix) and r.body_bytes:
                start = int(r.range.split("=")[1].split("-")[0]) if r.range else 0
                out.append((start, start + r.body_bytes - 1))
        return out


class _Handler(BaseHTTPRequestHandler):
    standin: StandinHub
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the request log is kept in StandinHub.requests
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY each response would wait ~40 ms on
        # the client's delayed ACK, a stand-in artefact that would swamp the timings benchmarks/hub_cold.py takes.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_HEAD(self):
        self._route(head=True)

    def do_GET(self):
        self._route(head=False)

    # -- helpers --
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False):
        # Log before a byte goes out: once the client holds the response it may go on (a test clears the log
        # and reads again), and an entry appended after that, by this thread, would land in the next read's log.
        sent = len(body) if not head else 0
        self.standin.log(Request(self.command, self.path, self.headers.get("Range"), status, sent,
                                 self.headers.get("Authorization")))
        self.send_response(status)
        hdrs = {"Content-Length": str(len(body)), **(headers or {})}
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()
        if sent:
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, head: bool, extra: dict | None = None):
        body = json.dumps({"error": message}).encode()
        self._send(status, body, {"X-Error-Code": code, "X-Error-Message": message,
                                  "Content-Type": "application/json", **(extra or {})}, head)

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def _repo(self, repo_id: str, head: bool) -> Repo | None:
        if self._token() == "hf_invalid":  # what the Hub answers for a revoked or mistyped token
            self._error(401, "", "Invalid credentials in Authorization header", head)
            return None
        repo = self.standin.repos.get(repo_id)
        if repo is None:
            self._error(401 if self._token() is None else 404, "RepoNotFound", "Repository not found", head)
        return repo

    def _route(self, head: bool):
        u = urlsplit(self.path)
        parts = [unquote(p) for p in u.path.split("/") if p]
        if parts == ["api", "agent-harnesses"]:  # huggingface_hub's daily user-agent registry fetch; empty here
            body = json.dumps({"standardEnvVars": [], "harnesses": {}}).encode()
            return self._send(200, body, {"Content-Type": "application/json"}, head)
        if parts[:2] == ["api", "models"]:
            return self._api(parts[2:], parse_qs(u.query), head)
        if parts and parts[0] == "cdn":
            return self._cdn(parts[1:], head)
        if len(parts) >= 4 and parts[2] == "resolve":
            return self._resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), head)
        self._error(404, "NotFound", "no such route", head)

    def _commit(self, repo: Repo, rev: str, head: bool) -> str | None:
        commit = repo.refs.get(rev) or (rev if rev in repo.files else None)
        if commit is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head)
        return commit

    def _api(self, parts: list[str], query: dict, head: bool):
        rev = "main"
        if len(parts) >= 4 and parts[2] == "revision":
            rev, parts = parts[3], parts[:2]
        repo = self._repo("/".join(parts[:2]), head)
        if repo is None:
            return
        commit = self._commit(repo, rev, head)
        if commit is None:
            return
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for name, disk in sorted(repo.files[commit].items()):
            sib = {"rfilename": name}
            if blobs:
                size = os.path.getsize(disk)
                sib.update(size=size, blobId=_sha(disk))
                if name.endswith(LFS_SUFFIXES):
                    sib["lfs"] = {"size": size, "sha256": hashlib.sha256(disk.encode()).hexdigest(), "pointerSize": 134}
            siblings.append(sib)
        body = {"id": repo.repo_id, "modelId": repo.repo_id, "sha": commit, "private": False,
                "gated": "manual" if repo.gated else False, "disabled": False, "siblings": siblings, "tags": []}
        self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"}, head)

    def _resolve(self, repo_id: str, rev: str, path: str, head: bool):
        repo = self._repo(repo_id, head)
        if repo is None:
            return
        if repo.gated and self._token() not in repo.accepted_tokens:
            msg = f"Access to model {repo_id} is restricted. You must have access to it and be authenticated."
            return self._error(401 if self._token() is None else 403, "GatedRepo", msg, head)
        commit = self._commit(repo, rev, head)
        if commit is None:
            return
        disk = repo.files[commit].get(path)
        if disk is None:
            return self._error(404, "EntryNotFound", f"{path} does not exist", head, {"X-Repo-Commit": commit})
        size = os.path.getsize(disk)
        etag = f'"{_sha(disk + str(size))}"'
        if path.endswith(LFS_SUFFIXES):
            sha256 = hashlib.sha256(disk.encode()).hexdigest()
            return self._send(302, b"", {"Location": f"/cdn/{sha256}/{quote(path)}", "X-Repo-Commit": commit,
                                         "X-Linked-Etag": f'"{sha256}"', "X-Linked-Size": str(size), "ETag": etag},
                              head)
        with open(disk, "rb") as f:
            body = f.read()
        self._send(200, body, {"ETag": etag, "X-Repo-Commit": commit, "Content-Type": "application/octet-stream"},
                   head)

    def _cdn(self, parts: list[str], head: bool):
        wanted = "/".join(parts[1:])
        for repo in self.standin.repos.values():
            for files in repo.files.values():
                disk = files.get(wanted)
                if disk and hashlib.sha256(disk.encode()).hexdigest() == parts[0]:
                    return self._ranged(disk, head)
        self._error(404, "EntryNotFound", "no such blob", head)

    def _ranged(self, disk: str, head: bool):
        size = os.path.getsize(disk)
        rng = self.headers.get("Range")
        if not rng:  # a full download; tests assert this never happens for weight files
            with open(disk, "rb") as f:
                return self._send(200, f.read(), {"Content-Type": "application/octet-stream"}, head)
        start_s, _, end_s = rng.removeprefix("bytes=").partition("-")
        start = int(start_s)
        end = min(int(end_s) if end_s else size - 1, size - 1)
        if start >= size or end < start:
            return self._send(416, b"", {"Content-Range": f"bytes */{size}"}, head)
        with open(disk, "rb") as f:
            f.seek(start)
            body = f.read(end - start + 1)
        self._send(206, body, {"Content-Range": f"bytes {start}-{end}/{size}",
                               "Content-Type": "application/octet-stream"}, head)
