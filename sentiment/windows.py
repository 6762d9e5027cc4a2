"""Whole texts through a short-window model: overlapping windows, one set of logits per text.

    windows = encode_windows(tokenizer, texts, prefix="query: ", max_length=64)   # per text, its windows
    logits_per_text = aggregate(window_logits, first_weight=1.0)                   # (n_windows, n_labels) -> (n_labels,)

Every window is `<s> + prefix + a chunk of the text's tokens + </s>`, at most `max_length` tokens, and
consecutive chunks overlap by `stride` tokens (default a quarter of the window), so a sentence cut
at one window's edge is whole in the next. A text that fits is one window, token for token what
`tokenizer(prefix + text, truncation=True, max_length=max_length)` gives: short posts cost what they
cost before windows existed, and a model trained on single windows sees the same input.

Each text is tokenised once (the prefix with it, so its first word is split as in training), and the
windows are slices of that one encoding. Absurd lengths are capped: at most `max_windows` windows
(default 16, about 700 words at 64 tokens) spread evenly over the text, first and last included (the
title + lead and the verdict at the end), after cutting the text at MAX_CHARS characters before
tokenising. `encode_windows_capped` also says which texts were capped.

`tokenizer` is a transformers tokenizer or a bare `tokenizers.Tokenizer` (what scoring uses, so
that scoring from the exported graph needs neither transformers' model code nor torch).
"""
from __future__ import annotations

import numpy as np

MAX_WINDOWS = 16
# Characters kept before tokenising: a window of 64 tokens holds ~250 characters of Dutch, so this
# is far beyond 16 windows' reach and only guards against megabyte "posts" (pasted logs, dumps).
MAX_CHARS = 50_000


def _token_ids(tokenizer, texts: list[str], special: bool) -> list[list[int]]:
    if hasattr(tokenizer, "encode_batch"):  # tokenizers.Tokenizer
        return [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=special)]
    return tokenizer(texts, add_special_tokens=special)["input_ids"]


def _specials(tokenizer) -> tuple[list[int], list[int]]:
    """(tokens before, tokens after) the text that the tokenizer adds: <s> and </s> for E5/XLM-R."""
    plain = _token_ids(tokenizer, ["a"], False)[0]
    full = _token_ids(tokenizer, ["a"], True)[0]
    for start in range(len(full) - len(plain) + 1):
        if full[start : start + len(plain)] == plain:
            return full[:start], full[start + len(plain):]
    raise ValueError("cannot find where the tokenizer puts its special tokens")


def _shared_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _spread(n_windows: int, max_windows: int) -> list[int]:
    """Which of n_windows regular windows to keep: evenly spaced, first and last included."""
    if n_windows <= max_windows:
        return list(range(n_windows))
    if max_windows == 1:
        return [0]
    return sorted({round(i * (n_windows - 1) / (max_windows - 1)) for i in range(max_windows)})


def encode_windows_capped(tokenizer, texts: list[str], *, prefix: str, max_length: int, stride: int | None = None,
                          max_windows: int = MAX_WINDOWS) -> tuple[list[list[list[int]]], list[bool]]:
    """encode_windows, plus per text whether it was capped (at max_windows or MAX_CHARS)."""
    head, tail = _specials(tokenizer)
    prefix_ids = _token_ids(tokenizer, [prefix], False)[0] if prefix else []
    joint = _token_ids(tokenizer, [prefix + t[:MAX_CHARS] for t in texts], False)
    stride = max_length // 4 if stride is None else stride
    windows, capped = [], []
    for text, ids in zip(texts, joint):
        # The prefix's own encoding can end in a bare "▁" that, followed by text, joins the first word;
        # the prefix part is what the joint encoding shares with it.
        n_prefix = _shared_prefix(ids, prefix_ids)
        lead, body = ids[:n_prefix], ids[n_prefix:]
        room = max_length - len(head) - len(tail) - len(lead)
        if room <= 0:
            raise ValueError(f"max_length {max_length} leaves no room for text after the prefix")
        step = max(1, room - min(stride, room - 1))
        starts = [0]
        while starts[-1] + room < len(body):
            starts.append(starts[-1] + step)
        kept = _spread(len(starts), max_windows)
        windows.append([head + lead + body[starts[k] : starts[k] + room] + tail for k in kept])
        capped.append(len(kept) < len(starts) or len(text) > MAX_CHARS)
    return windows, capped


def encode_windows(tokenizer, texts: list[str], *, prefix: str, max_length: int,
                   stride: int | None = None, max_windows: int = MAX_WINDOWS) -> list[list[list[int]]]:
    """Per text, its windows' token ids (see the module docstring)."""
    return encode_windows_capped(tokenizer, texts, prefix=prefix, max_length=max_length, stride=stride,
                                 max_windows=max_windows)[0]


def aggregate(logits, first_weight: float = 1.0) -> np.ndarray:
    """One text's logits from its windows' (n_windows, n_labels): their mean, the first window (title +
    lead) counting `first_weight` times."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or not len(logits):
        raise ValueError(f"expected (n_windows, n_labels) logits, got shape {logits.shape}")
    weights = np.ones(len(logits))
    weights[0] = first_weight
    return (weights[:, None] * logits).sum(axis=0) / weights.sum()
