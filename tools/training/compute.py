"""Training compute: 6·N·D FLOPs, Chinchilla-optimal tokens, GPU-hours at an MFU."""

from __future__ import annotations

import math

from ..errors import InvalidInput

# Hoffmann et al. 2022 (arXiv 2203.15556) Table 3, compute-optimal tokens by model size (Approach 1).
CHINCHILLA_TABLE3 = ((1e9, 20.2e9), (10e9, 205.1e9), (67e9, 1.5e12), (175e9, 3.7e12), (1e12, 21.2e12))


def chinchilla_tokens(n_params: float) -> float:
    """Compute-optimal training tokens: log-log interpolation of Table 3 (extrapolated along the end
    segments outside 1B–1T). The table is ~20–22 tokens per parameter throughout."""
    pts = CHINCHILLA_TABLE3
    if n_params <= 0:
        raise InvalidInput("parameter count must be > 0", field="model")
    x = math.log(n_params)
    i = 0 if n_params <= pts[1][0] else len(pts) - 2
    for j in range(len(pts) - 1):
        if pts[j][0] <= n_params <= pts[j + 1][0]:
            i = j
            break
    (x0, y0), (x1, y1) = (math.log(pts[i][0]), math.log(pts[i][1])), (math.log(pts[i + 1][0]),
                                                                       math.log(pts[i + 1][1]))
    return math.exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0))


def training_flops(active_params: int, tokens: float) -> float:
    """6·N·D: forward 2 FLOPs per parameter per token, backward 4 (Kaplan et al. 2020, §2.1)."""
    return 6 * active_params * tokens


def gpu_hours(flops: float, peak_tflops: float, mfu: float) -> float:
    if not 0 < mfu <= 1:
        raise InvalidInput(f"mfu must be in (0, 1], got {mfu}", field="mfu")
    return flops / (peak_tflops * 1e12 * mfu) / 3600
