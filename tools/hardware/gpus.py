"""The accelerator catalog (tools/data/gpus.json) and a forgiving name lookup.

Every figure carries its entry's `source` and `as_of`; figures that come only from a third-party page or an
assumption are listed in `unverified`. A format a device lacks (no BF16 on T4/V100, no FP8 before Ada/Hopper)
is `None`, which callers report as data, never as an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..datafiles import read_json
from ..errors import UnknownName
from ..names import closest
from ..units import GiB

FORMATS = ("bf16", "fp16", "fp8", "int8", "fp4")
# Interconnects fast enough for tensor parallelism within a node; PCIe-only cards still work, slower.
FAST_LINKS = ("nvlink", "infinity-fabric", "ici", "neuronlink", "roce")
PCIE5_X16_GB_S = 128  # PCI-SIG: 32 GT/s x 16 lanes ≈ 64 GB/s each way


@dataclass(frozen=True)
class Price:
    usd_per_hour: float
    provider: str
    as_of: str
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class GPU:
    id: str
    name: str
    arch: str  # architecture family: efficiency data is keyed by it
    vendor: str
    kind: str  # gpu | tpu | trainium | inferentia | unified
    aliases: tuple[str, ...]
    memory_gb_sold: float
    usable_gib: float
    usable_note: str
    bandwidth_gb_s: float
    memory_type: str  # "HBM3", "GDDR6X", "LPDDR5", ...
    tflops: dict  # format → dense TFLOP/s or None
    formats_note: str
    interconnect_kind: str
    interconnect_gb_s: float | None
    interconnect_note: str
    power_w: float | None
    max_count: int
    price: Price | None
    matmul_efficiency: dict  # format → best measured matmul fraction of peak, with "source"
    source: str
    as_of: str
    verified: bool
    unverified: tuple[str, ...]
    notes: str = ""
    # GeForce only: FP16 tensor rate with FP16 accumulation (twice `tflops["fp16"]`, which is FP32-accumulate).
    fp16_accumulate_tflops: float | None = None

    @property
    def usable_bytes(self) -> int:
        return int(self.usable_gib * GiB)

    @property
    def bandwidth_bytes_per_s(self) -> float:
        return self.bandwidth_gb_s * 1e9

    @property
    def memory_class(self) -> str:
        """hbm, gddr or lpddr (Apple unified memory): engines stream weights at different fractions of peak on
        each (tools/data/engines.json)."""
        t = self.memory_type.lower()
        return "hbm" if t.startswith("hbm") else "gddr" if t.startswith("gddr") else "lpddr"

    @property
    def fast_interconnect(self) -> bool:
        return self.interconnect_kind.startswith(FAST_LINKS)

    def link_for(self, tp: int) -> tuple[bool, float]:
        """(fast link?, GB/s) for a tensor-parallel group of `tp` devices. An NVLink bridge joins pairs
        only (H100 NVL, bridged PCIe cards): a larger group talks over PCIe 5.0 x16 (128 GB/s)."""
        if self.interconnect_kind == "nvlink-bridge" and tp > 2:
            return False, PCIE5_X16_GB_S
        return self.fast_interconnect, self.interconnect_gb_s or 32

    def provenance(self) -> dict:
        out = {"id": self.id, "name": self.name, "source": self.source, "as_of": self.as_of,
               "verified": self.verified}
        if self.unverified:
            out["unverified_fields"] = list(self.unverified)
        if self.notes:
            out["notes"] = self.notes
        return out

    def spec(self) -> dict:
        """Every catalog figure, JSON-ready, units in the key names."""
        out = {"gpu": self.provenance(), "vendor": self.vendor, "arch": self.arch,
               "memory_gb_sold": self.memory_gb_sold, "usable_gib": self.usable_gib, "usable_note": self.usable_note,
               "bandwidth_gb_s": self.bandwidth_gb_s, "memory_type": self.memory_type,
               "dense_tflops": {f: self.tflops.get(f) for f in FORMATS},
               "interconnect": {"kind": self.interconnect_kind, "gb_s": self.interconnect_gb_s,
                                "note": self.interconnect_note},
               "power_w": self.power_w, "max_count": self.max_count}
        if self.formats_note:
            out["formats_note"] = self.formats_note
        missing = [f for f in FORMATS if self.tflops.get(f) is None]
        if missing:
            out["formats_without_tensor_support"] = missing
        if self.price:
            p = self.price
            out["price"] = {"usd_per_gpu_hour": p.usd_per_hour, "provider": p.provider, "as_of": p.as_of,
                            "verified": p.verified}
        else:
            out["price"] = None
        if self.matmul_efficiency:
            out["best_measured_matmul_fraction"] = self.matmul_efficiency
        if self.fp16_accumulate_tflops:
            out["fp16_accumulate_dense_tflops"] = self.fp16_accumulate_tflops
        return out


def _gpu(e: dict) -> GPU:
    p = e.get("price")
    price = Price(p["usd_per_hour"], p["provider"], p["as_of"], p.get("verified", False), p.get("note", "")) \
        if p else None
    ic = e["interconnect"]
    return GPU(id=e["id"], name=e["name"], arch=e["arch"], vendor=e["vendor"], kind=e.get("kind", "gpu"),
               aliases=tuple(e.get("aliases", ())), memory_gb_sold=e["memory_gb_sold"], usable_gib=e["usable_gib"],
               usable_note=e.get("usable_note", ""), bandwidth_gb_s=e["bandwidth_gb_s"],
               memory_type=e["memory_type"], tflops=dict(e["tflops"]),
               formats_note=e.get("formats_note", ""), interconnect_kind=ic["kind"], interconnect_gb_s=ic.get("gb_s"),
               interconnect_note=ic.get("note", ""), power_w=e.get("power_w"), max_count=e.get("max_count", 8),
               price=price, matmul_efficiency=dict(e.get("matmul_efficiency", {})), source=e["source"],
               as_of=e["as_of"], verified=e["verified"], unverified=tuple(e.get("unverified", ())),
               notes=e.get("notes", ""), fp16_accumulate_tflops=e.get("fp16_accumulate_tflops"))


@cache
def catalog() -> tuple[GPU, ...]:
    return tuple(_gpu(e) for e in read_json("gpus.json")["gpus"])


# Words that name the vendor or product line, not the part: "NVIDIA GeForce RTX 4090" is "4090".
_NOISE = ("nvidia", "geforce", "rtx", "tesla", "amd", "instinct", "google", "cloud", "aws", "intel", "habana",
          "apple", "gpu", "tensor", "core")


def _normalize(name: str) -> str:
    s = name.strip().lower()
    # Keep "rtx 6000 ada" distinct from a bare "6000" by keeping "ada"; drop only pure noise words.
    words = [w for w in re.split(r"[^a-z0-9.]+", s) if w and w not in _NOISE]
    return "".join(words).replace(".", "")


@cache
def _index() -> dict[str, GPU]:
    idx: dict[str, GPU] = {}
    for g in catalog():
        for key in (g.id, g.name, *g.aliases):
            idx.setdefault(_normalize(key), g)
    return idx


def lookup(name: str, field: str = "gpu") -> GPU:
    """Find a GPU by id, name or alias, ignoring case, punctuation and vendor words ("NVIDIA H100 SXM",
    "h100-sxm", "H100"). Unknown names raise with the closest ids."""
    key = _normalize(name)
    idx = _index()
    if key in idx:
        return idx[key]
    suggestions = closest(key, idx, lambda g: g.id, cutoff=0.5)
    if not suggestions:  # prefix or substring, e.g. "mi3" → mi300x, mi325x
        suggestions = [g.id for g in catalog() if key and (key in _normalize(g.id) or _normalize(g.id) in key)][:5]
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownName(f"unknown GPU {name!r}{hint}", field=field, allowed=suggestions or all_ids(), see="gpu_lookup")


def all_ids() -> list[str]:
    return [g.id for g in catalog()]
