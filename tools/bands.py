"""Prediction bands from calibration errors (split-conformal style), shared by the speed, memory and training tools.

A band is the tool's mid estimate times two empirical quantiles of log(measured / predicted) taken over published
calibration cases of the same prediction kind (decode, serving, TTFT, inference memory, KV capacity, training
memory, throughput, compute) and the same coverage group: how well the setup is covered by calibration data
(`calibrated`: the engine or framework has calibration cases on this platform or device; `uncalibrated`: it has a
profile but no case there, or the step is bound by an unmeasured ceiling; `generic`: no profile of its own).

tools/data/bands.json holds, per kind and group, the quantiles, how many cases they came from and which, and
whether the group had too few cases of its own and took a pooled (wider) set. It is written by
benchmarks/validation/bands.py from calibration cases only (never a holdout case) and is never edited by hand.

The quantiles are order statistics with the finite-sample correction of split conformal prediction (Vovk et al.
2005; Lei et al. 2018, arXiv 1604.04173): with n residuals sorted r(1) <= ... <= r(n) and target coverage 1 - a,
the band is [r(k_lo), r(k_hi)] with k_lo = floor((n + 1) a/2) and k_hi = ceil((n + 1)(1 - a/2)); a new case
exchangeable with the n falls inside with probability >= 1 - a. Fewer than min_cases(coverage) residuals cannot
give that rank (k_lo < 1 or k_hi > n), so such a group borrows a pooled set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from .datafiles import read_json

GROUPS = ("calibrated", "uncalibrated", "generic")


def _alpha_half(coverage: float) -> Fraction:
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    return (1 - Fraction(coverage).limit_denominator(10_000)) / 2


def ranks(n: int, coverage: float) -> tuple[int, int]:
    """1-based ranks (k_lo, k_hi) of the order statistics bounding a band of `coverage` from n residuals."""
    h = _alpha_half(coverage)
    return math.floor((n + 1) * h), math.ceil((n + 1) * (1 - h))


def min_cases(coverage: float) -> int:
    """Fewest residuals whose order statistics give a finite two-sided band of this coverage."""
    n = 1
    while True:
        lo, hi = ranks(n, coverage)
        if lo >= 1 and hi <= n:
            return n
        n += 1


def conformal_interval(residuals: list[float], coverage: float) -> tuple[float, float] | None:
    """(q_lo, q_hi) in log space for a band of `coverage`, or None when there are too few residuals. The band
    always contains the mid estimate (q_lo <= 0 <= q_hi): widening to include it only raises coverage."""
    n = len(residuals)
    lo, hi = ranks(n, coverage)
    if lo < 1 or hi > n:
        return None
    r = sorted(residuals)
    return min(0.0, r[lo - 1]), max(0.0, r[hi - 1])


@dataclass(frozen=True)
class BandRule:
    kind: str
    group: str
    q_low: float  # log(measured / predicted), lower quantile (<= 0)
    q_high: float  # upper quantile (>= 0)
    cases: int  # residuals the quantiles came from
    pooled: str  # "" when from the group's own cases, else which set they came from
    coverage: float
    orientation: str = ""  # what the quantiles are ratios of, e.g. "seconds per step"

    def apply(self, mid: float, inverse: bool = False) -> tuple[float, float, float]:
        """(low, mid, high) around `mid`. The quantiles are for the kind's own orientation (e.g. seconds for
        speed); inverse=True gives the band of its reciprocal (tokens/s from seconds): the tails swap."""
        if inverse:
            return mid * math.exp(-self.q_high), mid, mid * math.exp(-self.q_low)
        return mid * math.exp(self.q_low), mid, mid * math.exp(self.q_high)

    def describe(self, setup: str) -> dict:
        """What a result says about its band: the coverage it is meant to have and where it came from."""
        where = (f"{self.kind} errors of {self.cases} calibration cases in this group" if not self.pooled else
                 f"pooled ({self.kind} group too small): errors of {self.cases} calibration cases of {self.pooled}")
        return {"coverage": self.coverage, "group": self.group, "setup": setup,
                "from": f"{where}: measured/predicted {self.orientation} x{math.exp(self.q_low):.3g} to "
                        f"x{math.exp(self.q_high):.3g}"}


@cache
def _data() -> dict:
    return read_json("bands.json")


def coverage() -> float:
    return _data()["coverage"]


def rule(kind: str, group: str) -> BandRule:
    k = _data()["kinds"][kind]
    g = k["groups"][group]
    return BandRule(kind, group, g["q_low"], g["q_high"], g["n"], g.get("pooled", ""), _data()["coverage"],
                    k.get("orientation", ""))


def covered(kind: str) -> dict:
    """Which setups of a kind have calibration cases (written with the quantiles, from the same cases):
    training_throughput: framework -> device architectures; training_memory and kv_capacity: frameworks or
    engines."""
    return _data()["covered"].get(kind, {})
