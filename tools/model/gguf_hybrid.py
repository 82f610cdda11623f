"""GGUF metadata of hybrid (attention + state-space / linear-attention) models, and of the pure Mamba-1 / Mamba-2
stacks, → the config.json fields our readers (configs/hybrid.py) take, so a .gguf gives the same shape,
parameters, KV and state bytes as the model's config.json. (llama.cpp converts Bamba to granitehybrid too.)

What llama.cpp writes (convert_hf_to_gguf.py; key names: gguf-py constants `Keys.SSM`, `Keys.LLM`):
- `{arch}.ssm.conv_kernel`, `.ssm.state_size`, `.ssm.group_count`, `.ssm.inner_size` and `.ssm.time_step_rank`.
  For the Mamba-2 mixers (granitehybrid, nemotron_h, falcon-h1, mamba2) time_step_rank is the number of SSM heads and
  inner_size the mixer width (head dim = inner / heads); for gated DeltaNet (qwen3next) state_size is the key
  head dim, group_count the key heads, time_step_rank the value heads and inner_size value heads x value head
  dim; for Mamba-1 (jamba, mamba) time_step_rank is the dt rank.
- `{arch}.attention.head_count_kv` per layer (granitehybrid, nemotron_h, jamba): 0 marks a recurrent layer,
  which is how llama.cpp itself tells them apart; nemotron_h also writes `feed_forward_length` per layer
  (non-zero: an MLP / MoE block). qwen3next writes `full_attention_interval`; falcon-h1 runs attention and the
  mixer side by side in every layer.
Nothing in the metadata says which biases exist, where Jamba's MoE layers are, or a dense MLP block's width
inside a Nemotron-H MoE file: those are read from the tensor table (tensor names and shapes are the file's own
statement, not a guess). Where neither says what a count needs, we refuse naming what is missing.
"""

from __future__ import annotations

from ..errors import UnsupportedConfig

# GGUF general.architecture → transformers model_type.
HYBRID_ARCHITECTURES = {
    "granitehybrid": "granitemoehybrid", "nemotron_h": "nemotron_h", "nemotron_h_moe": "nemotron_h",
    "qwen3next": "qwen3_next", "jamba": "jamba", "falcon-h1": "falcon_h1",
    "mamba": "mamba", "mamba2": "mamba2",  # the pure state-space stacks: the same keys, no attention
}


# convert_hf_to_gguf.py (GraniteHybridModel, which NemotronHModel extends; MambaModel, Mamba2Model) writes
# context_length 2**20 ("arbitrary value") for models without RoPE: not a trained window.
NO_ROPE_CONTEXT = 2**20
NO_ROPE_ARCHITECTURES = ("granitehybrid", "nemotron_h", "nemotron_h_moe", "mamba", "mamba2")


def no_rope_context(arch: str, context: object) -> bool:
    return arch in NO_ROPE_ARCHITECTURES and context == NO_ROPE_CONTEXT


def gguf_notes(metadata: dict) -> tuple[str, ...]:
    """What a result must say about how a hybrid GGUF was read."""
    arch = metadata.get("general.architecture")
    if isinstance(arch, str) and no_rope_context(arch, metadata.get(f"{arch}.context_length")):
        return (f"{arch}.context_length {NO_ROPE_CONTEXT:,} is the value llama.cpp's converter writes for models "
                "without RoPE, not a trained window: no context window is read from this file",)
    return ()


def _bad(arch: str, why: str) -> UnsupportedConfig:
    return UnsupportedConfig(f"GGUF metadata ({arch}): {why}", field="model")


class _Meta:
    """`{arch}.key` lookups, and per-layer views of the tensor table."""

    def __init__(self, arch: str, metadata: dict, tensors: dict[str, tuple[int, ...]]):
        self.arch, self.md, self.tensors = arch, metadata, tensors

    def get(self, key: str):
        return self.md.get(f"{self.arch}.{key}")

    def int(self, key: str, *, required: bool = True) -> int | None:
        v = self.get(key)
        if v is None and not required:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise _bad(self.arch, f"{self.arch}.{key} missing or not a non-negative integer ({v!r})")
        return v

    def per_layer(self, key: str, n_blocks: int, n: int) -> list[int]:
        """A per-layer array (or one value for every layer), cut to the n main layers (MTP blocks come last)."""
        v = self.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            return [v] * n
        if not isinstance(v, list) or len(v) != n_blocks or not all(isinstance(x, int) for x in v):
            raise _bad(self.arch, f"{self.arch}.{key} must be a number or one per block ({n_blocks}); got "
                                  f"{v if not isinstance(v, list) else f'{len(v)} values'!r}")
        return v[:n]

    def has(self, layer: int, name: str) -> bool:
        return f"blk.{layer}.{name}" in self.tensors

    def any(self, name: str, n: int) -> bool:
        return any(self.has(i, name) for i in range(n))

    def rows(self, layer: int, name: str, axis: int = 0) -> int | None:
        shape = self.tensors.get(f"blk.{layer}.{name}")
        return shape[axis] if shape and len(shape) > axis else None


def _uniform(arch: str, key: str, values: list[int]) -> int | None:
    """The one non-zero value of a per-layer array (0 marks layers without that part)."""
    nz = sorted(set(v for v in values if v))
    if len(nz) > 1:
        raise _bad(arch, f"{arch}.{key} has differing non-zero values per layer ({nz}); one width per model is read")
    return nz[0] if nz else None


def _period(arch: str, what: str, layers: list[int], n: int) -> tuple[int, int]:
    """(period, offset) with layers == [i for i in range(n) if i % period == offset] (Jamba's config form)."""
    if layers:
        for p in range(1, n + 1):
            o = layers[0]
            if o < p and [i for i in range(n) if i % p == o] == layers:
                return p, o
    raise _bad(arch, f"{what} layers {layers} are not every k-th layer from an offset, which is the only placement "
                     "the Jamba config can state")


def hybrid_config(arch: str, metadata: dict, tensors: dict[str, tuple[int, ...]], base: dict) -> dict:
    """`base`: the fields every architecture shares (vocab, hidden, layer count, heads, context, tying), read by
    gguf_config.config_from_gguf. Every field the reader needs is given, so no transformers default fills in."""
    m = _Meta(arch, metadata, tensors)
    n_blocks, n, hidden = m.int("block_count"), base["num_hidden_layers"], base["hidden_size"]
    if not any(name.startswith("blk.") for name in tensors):
        raise _bad(arch, "the tensor table lists no blk.* tensors, so layer kinds and biases cannot be read")
    conv, state, inner = m.int("ssm.conv_kernel"), m.int("ssm.state_size"), m.int("ssm.inner_size")
    rank, groups = m.int("ssm.time_step_rank"), m.int("ssm.group_count", required=arch == "qwen3next")
    mtype = HYBRID_ARCHITECTURES[arch]
    cfg = dict(base, model_type=mtype, attention_bias=m.any("attn_q.bias", n), mlp_bias=m.any("ffn_up.bias", n))
    if arch in ("granitehybrid", "nemotron_h", "nemotron_h_moe", "falcon-h1", "mamba2"):
        if not rank or inner % rank:
            raise _bad(arch, f"ssm.inner_size {inner} is not a multiple of ssm.time_step_rank {rank} (the SSM heads)")
        if not groups:
            raise _bad(arch, f"{arch}.ssm.group_count is missing (Mamba-2 B/C groups)")
    conv_bias, proj_bias = m.any("ssm_conv1d.bias", n), m.any("ssm_in.bias", n)

    if arch == "mamba2":
        cfg.update(num_heads=rank, head_dim=inner // rank, n_groups=groups, state_size=state, conv_kernel=conv,
                   expand=_expand(arch, inner, hidden), use_conv_bias=conv_bias, use_bias=proj_bias)
    elif arch == "mamba":
        if m.get("ssm.dt_b_c_rms"):  # Falcon-Mamba's dt/B/C RMSNorms: a model_type we do not read
            raise _bad(arch, "ssm.dt_b_c_rms is set (Falcon-Mamba's dt/B/C norms), which this reader does not count")
        cfg.update(state_size=state, conv_kernel=conv, time_step_rank=rank, expand=_expand(arch, inner, hidden),
                   use_conv_bias=conv_bias, use_bias=proj_bias)
    elif arch == "granitehybrid":
        kv = m.per_layer("attention.head_count_kv", n_blocks, n)
        experts = m.int("expert_count", required=False) or 0
        shared = m.int("expert_shared_feed_forward_length", required=False)
        if shared is None:  # older files: the width of the shared MLP's up projection
            shared = next((m.rows(i, t) for i in range(n) for t in ("ffn_up_shexp.weight", "ffn_up.weight")
                           if m.rows(i, t)), None)
        if not shared:
            raise _bad(arch, "no expert_shared_feed_forward_length and no ffn_up / ffn_up_shexp tensor: the MLP "
                             "width is unknown")
        cfg.update(layer_types=["attention" if k else "mamba" for k in kv],
                   num_key_value_heads=_uniform(arch, "attention.head_count_kv", kv) or base["num_attention_heads"],
                   num_local_experts=experts, num_experts_per_tok=m.int("expert_used_count", required=bool(experts))
                   or 0, intermediate_size=m.int("feed_forward_length") if experts else shared,
                   shared_intermediate_size=shared, mamba_expand=_expand(arch, inner, hidden),
                   **_mamba2_fields(rank, inner, groups, state, conv, conv_bias, proj_bias))
    elif arch in ("nemotron_h", "nemotron_h_moe"):
        cfg.update(_nemotron(m, arch, n_blocks, n, rank, inner, groups, state, conv, conv_bias, proj_bias))
    elif arch == "qwen3next":
        cfg.update(_qwen3_next(m, n, rank, inner, groups, state, conv),
                   num_key_value_heads=m.int("attention.head_count_kv"))
    elif arch == "jamba":
        kv = m.per_layer("attention.head_count_kv", n_blocks, n)
        experts = m.int("expert_count", required=False) or 0
        cfg.update(num_key_value_heads=_uniform(arch, "attention.head_count_kv", kv) or base["num_attention_heads"],
                   intermediate_size=m.int("feed_forward_length"), num_experts=max(experts, 1),
                   num_experts_per_tok=m.int("expert_used_count") if experts > 1 else 1,
                   mamba_d_state=state, mamba_d_conv=conv, mamba_expand=_expand(arch, inner, hidden),
                   mamba_dt_rank=rank, mamba_conv_bias=conv_bias, mamba_proj_bias=proj_bias)
        cfg["attn_layer_period"], cfg["attn_layer_offset"] = _period(arch, "attention", [
            i for i, k in enumerate(kv) if k], n)
        moe = [i for i in range(n) if m.has(i, "ffn_gate_inp.weight")]
        if experts > 1:
            cfg["expert_layer_period"], cfg["expert_layer_offset"] = _period(arch, "MoE (ffn_gate_inp)", moe, n)
        else:
            cfg["expert_layer_period"], cfg["expert_layer_offset"] = 1, 0
    else:  # falcon-h1: every layer attention + Mamba-2 side by side
        cfg.update(num_key_value_heads=m.int("attention.head_count_kv"), head_dim=m.int("attention.key_length"),
                   intermediate_size=m.int("feed_forward_length"),
                   mamba_d_ssm=inner, projectors_bias=m.any("ssm_out.bias", n),
                   mamba_rms_norm=m.any("ssm_norm.weight", n),
                   **_mamba2_fields(rank, inner, groups, state, conv, conv_bias, proj_bias))
    return cfg


def _mamba2_fields(heads, inner, groups, state, conv, conv_bias, proj_bias) -> dict:
    # Bamba / Granite-4 / Falcon-H1 spelling (configs/hybrid.py _mamba2_mixer)
    return dict(mamba_n_heads=heads, mamba_d_head=inner // heads, mamba_n_groups=groups, mamba_d_state=state,
                mamba_d_conv=conv, mamba_conv_bias=conv_bias, mamba_proj_bias=proj_bias)


def _expand(arch: str, inner: int, hidden: int) -> float:
    # The readers take mamba_expand and compute int(expand x hidden), as transformers does.
    expand = inner / hidden
    if int(expand * hidden) != inner:
        raise _bad(arch, f"ssm.inner_size {inner} is not expand x hidden ({hidden}) for any float expand")
    return int(expand) if expand == int(expand) else expand


def _nemotron(m: _Meta, arch, n_blocks, n, rank, inner, groups, state, conv, conv_bias, proj_bias) -> dict:
    kv = m.per_layer("attention.head_count_kv", n_blocks, n)
    ff = m.per_layer("feed_forward_length", n_blocks, n)
    moe = arch == "nemotron_h_moe"
    pattern = []
    for i in range(n):
        if kv[i]:
            pattern.append("*")
        elif ff[i]:  # the converter writes a width only for the MLP blocks (MoE blocks in a MoE file)
            pattern.append("E" if moe else "-")
        elif moe and m.has(i, "ffn_up.weight") and not m.has(i, "ssm_in.weight"):
            pattern.append("-")  # a dense MLP block in a MoE file: feed_forward_length says 0 there
        else:
            pattern.append("M")
    # transformers' list spelling (the reader would otherwise look it up among the defaults)
    names = {"M": "mamba", "*": "attention", "-": "mlp", "E": "moe"}
    out = dict(layers_block_type=[names[c] for c in pattern], head_dim=m.int("attention.key_length"),
               num_key_value_heads=_uniform(m.arch, "attention.head_count_kv", kv), mamba_num_heads=rank,
               mamba_head_dim=inner // rank, n_groups=groups, ssm_state_size=state, conv_kernel=conv,
               use_conv_bias=conv_bias, use_bias=proj_bias)
    if out["num_key_value_heads"] is None:
        raise _bad(m.arch, "no layer has attention (head_count_kv all 0)")
    if not moe:
        width = _uniform(m.arch, "feed_forward_length", ff)
        if width is None:
            raise _bad(m.arch, "no MLP block (feed_forward_length all 0)")
        return dict(out, intermediate_size=width)
    latent = m.int("moe_latent_size", required=False)
    dense = next((m.rows(i, "ffn_up.weight") for i, c in enumerate(pattern) if c == "-"), None)
    expert_ff = m.int("expert_feed_forward_length")
    n_shared = m.int("expert_shared_count", required=False) or 0
    out.update(intermediate_size=dense or expert_ff, n_routed_experts=m.int("expert_count"),
               num_experts_per_tok=m.int("expert_used_count"), moe_intermediate_size=expert_ff,
               n_shared_experts=n_shared,
               moe_shared_expert_intermediate_size=m.int("expert_shared_feed_forward_length") if n_shared else 0)
    if latent is not None:
        out["moe_latent_size"] = latent  # the reader refuses it by name
    return out


def _qwen3_next(m: _Meta, n, rank, inner, groups, state, conv) -> dict:
    if not rank or inner % rank:
        raise _bad(m.arch, f"ssm.inner_size {inner} is not a multiple of ssm.time_step_rank {rank} (value heads)")
    interval = m.int("full_attention_interval", required=False)
    if interval:
        types = ["linear_attention" if (i + 1) % interval else "full_attention" for i in range(n)]
    else:  # older files: llama.cpp then assumes 4; the tensor table says which layers have attention
        types = ["full_attention" if m.has(i, "attn_q.weight") else "linear_attention" for i in range(n)]
        if "full_attention" not in types:
            raise _bad(m.arch, "no full_attention_interval and no attn_q tensor: attention layers unknown")
    dense = [i for i in range(n) if not m.has(i, "ffn_gate_inp.weight")]
    shared = m.int("expert_shared_feed_forward_length", required=False) or 0
    return dict(layer_types=types, head_dim=m.int("attention.key_length"), linear_num_value_heads=rank,
                linear_value_head_dim=inner // rank, linear_num_key_heads=groups, linear_key_head_dim=state,
                linear_conv_kernel_dim=conv, num_experts=m.int("expert_count"),
                num_experts_per_tok=m.int("expert_used_count"),
                moe_intermediate_size=m.int("expert_feed_forward_length"), shared_expert_intermediate_size=shared,
                intermediate_size=m.int("feed_forward_length"), decoder_sparse_step=1, mlp_only_layers=dense)
