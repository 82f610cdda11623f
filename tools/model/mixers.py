"""Token mixers with a fixed-size state per sequence: state-space (Mamba-1, Mamba-2), linear attention
(gated DeltaNet, MiniMax lightning) and short convolutions (LFM2).

Where attention caches K/V for every token, these layers keep one conv window and (except the short
convolution) one recurrent state per sequence, whatever the context length. Each kind knows its own
weights and state sizes, so calculators ask the mixer instead of branching on model names.

Shapes follow transformers' modules and caches (5.x): conv state [channels, conv_kernel] in the model's
dtype, recurrent state in float32 for the SSM / DeltaNet kernels (MiniMax's lightning state is kept in
the model dtype by transformers; callers choose the state dtype and say so).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput

MIXER_KINDS = ("mamba", "mamba2", "gated_deltanet", "lightning", "short_conv")


def _count(name: str, value: int, *, zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (value == 0 and not zero):
        raise InvalidInput(f"{name} must be an integer {'>= 0' if zero else '> 0'}, got {value!r}", field=name)


@dataclass(frozen=True)
class LinearMixer:
    """One fixed-state token mixer. Field meaning by kind:

    - mamba2: num_heads H, head_dim P, state_size N, num_groups G, inner_size I (in_proj width; H·P for
      Nemotron-H, expand·hidden for Mamba2/Bamba/Granite-4, mamba_d_ssm for Falcon-H1), conv_kernel K.
    - mamba (Mamba-1, Jamba): inner_size I = expand·hidden channels, state_size N, conv_kernel K, dt_rank;
      num_heads/head_dim unused (1). bc_norms: Jamba's dt/B/C RMSNorms.
    - gated_deltanet (Qwen3-Next): num_heads = value heads, head_dim = value head dim, num_groups = key
      heads, state_size = key head dim, conv_kernel K.
    - lightning (MiniMax-01): num_heads, head_dim; no conv.
    - short_conv (LFM2): channels = hidden size, conv_kernel = the cached window (conv_L_cache).
    """

    kind: str
    num_heads: int = 1
    head_dim: int = 1
    state_size: int = 0
    num_groups: int = 1
    inner_size: int = 0
    conv_kernel: int = 0
    dt_rank: int = 0
    conv_bias: bool = False
    proj_bias: bool = False  # in_proj (and out_proj unless out_bias is given)
    out_bias: bool | None = None  # Falcon-H1 projectors_bias differs from mamba_proj_bias
    gated_norm: bool = True  # Mamba-2 RMSNormGated over inner_size (Falcon-H1: mamba_rms_norm)
    bc_norms: bool = False  # Jamba: dt_layernorm, b_layernorm, c_layernorm

    def __post_init__(self) -> None:
        if self.kind not in MIXER_KINDS:
            raise InvalidInput(f"linear mixer kind must be one of {', '.join(MIXER_KINDS)}; got {self.kind!r}",
                               field="linear_kind", allowed=list(MIXER_KINDS))
        for n in ("num_heads", "head_dim", "num_groups"):
            _count(f"linear_{n}", getattr(self, n))
        for n in ("state_size", "inner_size", "conv_kernel", "dt_rank"):
            _count(f"linear_{n}", getattr(self, n), zero=True)
        needs = {"mamba2": ("state_size", "inner_size", "conv_kernel"), "mamba": ("state_size", "inner_size",
                 "conv_kernel", "dt_rank"), "gated_deltanet": ("state_size", "conv_kernel"),
                 "lightning": (), "short_conv": ("inner_size", "conv_kernel")}[self.kind]
        missing = [n for n in needs if not getattr(self, n)]
        if missing:
            raise InvalidInput(f"{self.kind} mixer needs {', '.join(needs)} > 0; missing {', '.join(missing)}",
                               field=f"linear_{missing[0]}")
        if self.kind == "gated_deltanet" and self.num_heads % self.num_groups:
            raise InvalidInput(f"gated DeltaNet value heads ({self.num_heads}) must be a multiple of key heads "
                               f"({self.num_groups})", field="linear_groups")

    # -- state ----------------------------------------------------------------------------------------
    @property
    def conv_channels(self) -> int:
        k = self.kind
        if k == "mamba2":
            return self.inner_size + 2 * self.num_groups * self.state_size
        if k == "gated_deltanet":
            return 2 * self.num_groups * self.state_size + self.num_heads * self.head_dim
        if k in ("mamba", "short_conv"):
            return self.inner_size
        return 0

    @property
    def conv_state_elements(self) -> int:
        """Per sequence per layer: transformers keeps [channels, conv_kernel] (vLLM keeps kernel − 1)."""
        return self.conv_channels * self.conv_kernel

    @property
    def recurrent_state_elements(self) -> int:
        k = self.kind
        if k == "mamba2":
            return self.num_heads * self.head_dim * self.state_size  # [H, P, N]
        if k == "gated_deltanet":
            return self.num_heads * self.state_size * self.head_dim  # [Hv, dk, dv]
        if k == "mamba":
            return self.inner_size * self.state_size  # [I, N]
        if k == "lightning":
            return self.num_heads * self.head_dim * self.head_dim  # [H, d, d]
        return 0

    # -- weights --------------------------------------------------------------------------------------
    def params(self, hidden: int) -> int:
        """Weights of one mixer layer (its internal norms included)."""
        k, h = self.kind, hidden
        out_bias = self.proj_bias if self.out_bias is None else self.out_bias
        if k == "mamba2":
            inner, heads = self.inner_size, self.num_heads
            proj = 2 * inner + 2 * self.num_groups * self.state_size + heads  # z, x, B, C, dt
            conv = self.conv_channels * (self.conv_kernel + self.conv_bias)
            return (h * proj + proj * self.proj_bias + conv + 3 * heads  # dt_bias, A_log, D
                    + inner * self.gated_norm + inner * h + h * out_bias)
        if k == "mamba":
            inner, n, r = self.inner_size, self.state_size, self.dt_rank
            conv = inner * (self.conv_kernel + self.conv_bias)
            return (h * 2 * inner + 2 * inner * self.proj_bias + conv + inner * (r + 2 * n)  # x_proj
                    + r * inner + inner  # dt_proj with bias
                    + inner * n + inner  # A_log, D
                    + inner * h + h * out_bias + (r + 2 * n) * self.bc_norms)
        if k == "gated_deltanet":
            key, value, hv = self.num_groups * self.state_size, self.num_heads * self.head_dim, self.num_heads
            return (h * (2 * key + 2 * value) + h * 2 * hv + self.conv_channels * self.conv_kernel
                    + 2 * hv + self.head_dim + value * h)  # qkvz, ba, conv, dt_bias + A_log, norm, out
        if k == "lightning":
            width = self.num_heads * self.head_dim
            return h * 3 * width + h * width + width + width * h  # qkv, output gate, norm, out
        # short_conv: in_proj to B, C, x; depthwise conv; out_proj
        c = self.inner_size
        return h * 3 * c + 3 * c * self.proj_bias + c * (self.conv_kernel + self.conv_bias) + c * h + h * out_bias

    def projection_width(self, hidden: int) -> int:
        """Widest activation the mixer produces per token (for the activation-peak estimate)."""
        k = self.kind
        if k == "mamba2":
            return 2 * self.inner_size + 2 * self.num_groups * self.state_size + self.num_heads
        if k == "mamba":
            return 2 * self.inner_size
        if k == "gated_deltanet":
            return 2 * self.num_groups * self.state_size + 2 * self.num_heads * self.head_dim
        if k == "lightning":
            return 4 * self.num_heads * self.head_dim
        return 3 * self.inner_size
