"""The model catalog: named models with exact shapes and provenance, and a forgiving name lookup.

Entries hold the model's own config.json fields, so the same reader that handles user configs builds every
catalog shape; `architecture` entries (illustrative tiers) hold explicit fields instead.

Provenance: `source` names the publisher's own file (its config.json, or its model card / paper), which is
what results cite. Where the values were read from a copy instead (a gated repository cannot be read here, so
a mirror, a vendored copy in another project, or a derivative was used), `read_from` says which copy and why,
`verified` is false, and `cross_checks` lists the independent copies they were compared with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..datafiles import read_json
from ..errors import UnknownName
from ..names import closest

_DATA_FILES = ("models.json", "illustrative.json")
# Suffixes that name a fine-tune of the same shape; the base entry answers for them.
_SUFFIXES = ("instruct", "chat", "hf", "it", "base", "bf16", "fp8", "pt", "2507", "thinking", "original")


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    family: str
    source: str
    as_of: str
    aliases: tuple[str, ...]
    hf_repo: str | None
    config: dict | None  # config.json fields, read by hf_config
    architecture: dict | None  # explicit fields (illustrative entries)
    published_params: str | None
    published_params_source: str | None
    notes: str
    speculative: bool
    read_from: dict | None = None  # {"copy": URL or locator, "why": ...} when not read from `source` itself
    verified: bool = False  # values read from the publisher's own file
    cross_checks: tuple[str, ...] = ()

    def provenance(self) -> dict:
        out = {"id": self.id, "name": self.name, "source": self.source, "as_of": self.as_of,
               "verified": self.verified}
        if self.read_from:
            out["read_from"] = dict(self.read_from)
        if self.cross_checks:
            out["cross_checks"] = list(self.cross_checks)
        if self.published_params:
            out["published_params"] = self.published_params
            out["published_params_source"] = self.published_params_source
        if self.speculative:
            out["speculative"] = True
        if self.notes:
            out["notes"] = self.notes
        return out


def _normalize(name: str) -> str:
    s = name.strip().lower()
    s = s.split("/")[-1]  # drop the hub organisation
    s = s.replace(":", "-")  # ollama tags: llama3.1:8b
    parts = [p for p in re.split(r"[^a-z0-9.]+", s) if p]
    while parts and parts[-1] in _SUFFIXES:
        parts.pop()
    s = "".join(parts).replace(".", "")
    if s.startswith("meta") and not s.startswith("metal"):
        s = s[4:]  # "Meta-Llama-3.1-8B" is "Llama-3.1-8B"
    return s


@cache
def entries() -> tuple[CatalogEntry, ...]:
    out = []
    for fname in _DATA_FILES:
        for e in read_json(fname)["models"]:
            out.append(CatalogEntry(
                id=e["id"], name=e["name"], family=e.get("family", ""), source=e["source"], as_of=e["as_of"],
                aliases=tuple(e.get("aliases", ())), hf_repo=e.get("hf_repo"), config=e.get("config"),
                architecture=e.get("architecture"), published_params=e.get("published_params"),
                published_params_source=e.get("published_params_source"), notes=e.get("notes") or "",
                speculative=bool(e.get("speculative")), read_from=e.get("read_from"),
                verified=bool(e.get("verified")), cross_checks=tuple(e.get("cross_checks", ())),
            ))
    return tuple(out)


@cache
def _index() -> dict[str, CatalogEntry]:
    idx: dict[str, CatalogEntry] = {}
    for e in entries():
        for key in (e.id, e.name, e.hf_repo or "", *e.aliases):
            if key:
                idx.setdefault(_normalize(key), e)
    return idx


# A Claude model name (claude-sonnet-4-5, "Claude Opus", sonnet 4.5, anthropic.claude-…): its size is unpublished.
_CLAUDE_NAME = re.compile(r"claude|\b(?:sonnet|opus|haiku|fable|mythos)\b")


def lookup(name: str) -> CatalogEntry:
    """Find an entry by id, display name, HF repo or alias, ignoring case, punctuation, org prefix and
    instruct/chat suffixes. Unknown names raise with the closest ids."""
    key = _normalize(name)
    idx = _index()
    if key in idx:
        return idx[key]
    if _CLAUDE_NAME.search(name.lower()):
        tiers = [e.id for e in entries() if e.speculative]
        raise UnknownName(
            f"{name!r} is a Claude model: Anthropic does not publish the parameter count or architecture of any "
            "Claude model, so no size can be computed for it. For a teaching example use one of the speculative "
            f"illustrative tiers ({', '.join(tiers)}), labelled as not Claude; for Claude API costs use api_cost",
            field="model", allowed=tiers)
    suggestions = closest(key, idx, lambda e: e.id)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownName(f"unknown model {name!r}{hint}", field="model", allowed=suggestions or None,
                      see="model_lookup")


def search(query: str | None = None) -> list[CatalogEntry]:
    if not query:
        return list(entries())
    q = query.lower()
    nq = _normalize(query)
    return [e for e in entries()
            if q in e.id or q in e.name.lower() or q in e.family.lower() or (nq and nq in _normalize(e.id))]
