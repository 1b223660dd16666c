"""Local pretrained checkpoints into a :class:`~lib.llm.model.TinyGPT`: a ``.safetensors`` reader and the
Llama and GPT-2 weight layouts. Nothing is downloaded: a name is looked up in the local Hugging Face cache only.

Kept apart from the model so that editing the loader changes neither the zoo's training key nor the cache key
of a notebook that only uses the model.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from lib.llm.model import GPTConfig, TinyGPT


_SAFETENSORS_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
                       "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Tensors of a ``.safetensors`` file, read directly from its documented layout (8-byte little-endian
    header length, a JSON header of dtype/shape/byte offsets, then the raw little-endian data), so the
    ``safetensors`` package is not needed. bf16 is widened to fp32."""
    import json

    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        if info["dtype"] == "BF16":  # bf16 is the top half of an fp32
            bits = np.frombuffer(body[start:end], dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(body[start:end], dtype=np.dtype(_SAFETENSORS_DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(array.astype(array.dtype.newbyteorder("="), copy=True)).reshape(info["shape"])
    return out


def _checkpoint_dir(path_or_name) -> Path:
    """A local model folder: the path itself, or a snapshot of ``name`` in the Hugging Face cache (never
    downloaded)."""
    path = Path(path_or_name).expanduser()
    if path.is_dir():
        return path
    hub = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"
    snapshots = sorted((hub / ("models--" + str(path_or_name).replace("/", "--")) / "snapshots").glob("*/config.json"))
    if snapshots:
        return snapshots[-1].parent
    raise FileNotFoundError(f"no local model folder or cached snapshot for {path_or_name!r} (nothing is downloaded)")


def _read_weights(folder: Path) -> dict[str, torch.Tensor]:
    files = sorted(folder.glob("*.safetensors"))
    if files:
        try:
            from safetensors.torch import load_file as reader
        except ImportError:
            reader = read_safetensors
        weights = {}
        for f in files:
            weights.update(reader(f))
        return weights
    files = sorted(folder.glob("pytorch_model*.bin"))
    if not files:
        raise FileNotFoundError(f"{folder}: no *.safetensors or pytorch_model*.bin weights")
    weights = {}
    for f in files:
        weights.update(torch.load(f, map_location="cpu", weights_only=True))
    return weights


class UnsupportedCheckpoint(ValueError):
    """The checkpoint's architecture does not map exactly onto TinyGPT."""


def _llama_config(cfg: dict) -> GPTConfig:
    for key, ok in (("rope_scaling", None), ("attention_bias", False), ("mlp_bias", False)):
        if cfg.get(key, ok) != ok:
            raise UnsupportedCheckpoint(f"{key}={cfg[key]!r} has no TinyGPT equivalent")
    if cfg.get("hidden_act", "silu") != "silu":
        raise UnsupportedCheckpoint(f"hidden_act={cfg['hidden_act']!r}; only SwiGLU (silu) maps")
    d, h = cfg["hidden_size"], cfg["num_attention_heads"]
    if cfg.get("head_dim", d // h) != d // h:
        raise UnsupportedCheckpoint("head_dim differs from hidden_size / num_attention_heads")
    return GPTConfig(vocab_size=cfg["vocab_size"], n_layers=cfg["num_hidden_layers"], d_model=d, n_heads=h,
                     n_kv_heads=cfg.get("num_key_value_heads", h), d_ff=cfg["intermediate_size"],
                     rope_base=float(cfg.get("rope_theta", 10_000.0)), mlp="swiglu", norm="rms",
                     norm_eps=cfg.get("rms_norm_eps", 1e-6), tie_embeddings=bool(cfg.get("tie_word_embeddings", False)))


def _llama_state(w: dict, config: GPTConfig) -> dict:
    w = {k.removeprefix("model."): v for k, v in w.items()}
    state = {"embed.weight": w["embed_tokens.weight"], "final_norm.weight": w["norm.weight"]}
    if not config.tie_embeddings:
        state["lm_head.weight"] = w.get("lm_head.weight", w["embed_tokens.weight"])
    for i in range(config.n_layers):
        p, b = f"layers.{i}.", f"blocks.{i}."
        state.update({
            b + "attn_norm.weight": w[p + "input_layernorm.weight"],
            b + "attn.q_proj.weight": w[p + "self_attn.q_proj.weight"],
            b + "attn.kv_proj.weight": torch.cat([w[p + "self_attn.k_proj.weight"], w[p + "self_attn.v_proj.weight"]]),
            b + "attn.out_proj.weight": w[p + "self_attn.o_proj.weight"],
            b + "mlp_norm.weight": w[p + "post_attention_layernorm.weight"],
            b + "mlp.gate.weight": w[p + "mlp.gate_proj.weight"],
            b + "mlp.up.weight": w[p + "mlp.up_proj.weight"],
            b + "mlp.down.weight": w[p + "mlp.down_proj.weight"]})
    return state


def _gpt2_config(cfg: dict) -> GPTConfig:
    if cfg.get("activation_function", "gelu_new") not in ("gelu_new", "gelu_pytorch_tanh"):
        raise UnsupportedCheckpoint(f"activation_function={cfg['activation_function']!r} does not map")
    if cfg.get("scale_attn_by_inverse_layer_idx") or not cfg.get("scale_attn_weights", True):
        raise UnsupportedCheckpoint("GPT-2 attention scaling other than 1/sqrt(head_dim) does not map")
    d = cfg["n_embd"]
    return GPTConfig(vocab_size=cfg["vocab_size"], n_layers=cfg["n_layer"], d_model=d, n_heads=cfg["n_head"],
                     d_ff=cfg.get("n_inner") or 4 * d, mlp="gelu_tanh", norm="layer",
                     norm_eps=cfg.get("layer_norm_epsilon", 1e-5), bias=True, positions="learned",
                     max_positions=cfg["n_positions"], tie_embeddings=True)


def _gpt2_state(w: dict, config: GPTConfig) -> dict:
    """GPT-2 stores its projections as Conv1D (in, out) matrices: transpose them; split c_attn into q | k, v."""
    w = {k.removeprefix("transformer."): v for k, v in w.items()}
    d = config.d_model
    state = {"embed.weight": w["wte.weight"], "pos_embed.weight": w["wpe.weight"],
             "final_norm.weight": w["ln_f.weight"], "final_norm.bias": w["ln_f.bias"]}
    for i in range(config.n_layers):
        p, b = f"h.{i}.", f"blocks.{i}."
        qkv_w, qkv_b = w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"]
        state.update({
            b + "attn_norm.weight": w[p + "ln_1.weight"], b + "attn_norm.bias": w[p + "ln_1.bias"],
            b + "attn.q_proj.weight": qkv_w[:, :d].T, b + "attn.q_proj.bias": qkv_b[:d],
            b + "attn.kv_proj.weight": qkv_w[:, d:].T, b + "attn.kv_proj.bias": qkv_b[d:],
            b + "attn.out_proj.weight": w[p + "attn.c_proj.weight"].T, b + "attn.out_proj.bias": w[p + "attn.c_proj.bias"],
            b + "mlp_norm.weight": w[p + "ln_2.weight"], b + "mlp_norm.bias": w[p + "ln_2.bias"],
            b + "mlp.up.weight": w[p + "mlp.c_fc.weight"].T, b + "mlp.up.bias": w[p + "mlp.c_fc.bias"],
            b + "mlp.down.weight": w[p + "mlp.c_proj.weight"].T, b + "mlp.down.bias": w[p + "mlp.c_proj.bias"]})
    return state


_ARCHITECTURES = {"llama": (_llama_config, _llama_state), "gpt2": (_gpt2_config, _gpt2_state)}


def load_pretrained(path_or_name) -> TinyGPT:
    """A TinyGPT holding a locally stored transformers-style checkpoint (a folder with ``config.json`` and
    ``*.safetensors`` or ``pytorch_model*.bin`` weights), for Llama-style (``model_type`` "llama": RMSNorm,
    rotary, SwiGLU, grouped-query attention) and GPT-2 architectures. Raises :class:`UnsupportedCheckpoint`
    when the architecture does not map exactly (other model types, rope scaling, biases where TinyGPT has
    none, ...) and FileNotFoundError when there is no local copy; nothing is ever downloaded."""
    import json

    folder = _checkpoint_dir(path_or_name)
    cfg = json.loads((folder / "config.json").read_text())
    kind = cfg.get("model_type")
    if kind not in _ARCHITECTURES:
        raise UnsupportedCheckpoint(f"model_type {kind!r} is not supported; known: {', '.join(_ARCHITECTURES)}")
    make_config, make_state = _ARCHITECTURES[kind]
    config = make_config(cfg)
    model = TinyGPT(config)
    state = {k: v.float() for k, v in make_state(_read_weights(folder), config).items()}
    model.load_state_dict(state, strict=True)
    return model.eval()
