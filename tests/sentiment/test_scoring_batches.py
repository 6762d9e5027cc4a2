"""How the scorer cuts length-sorted windows into forward batches: few padded tokens, same logits."""
from __future__ import annotations

import numpy as np

from sentiment.scoring import Scorer, _batches


def test_batches_hold_at_most_so_many_windows_and_padded_tokens():
    lengths = [10] * 40 + [120] * 20 + [600]
    batches = _batches(lengths, 32, 1024)
    assert [i for b in batches for i in b] == list(range(len(lengths)))  # every window once, in order
    for batch in batches:
        assert len(batch) <= 32
        assert len(batch) * max(lengths[i] for i in batch) <= 1024 or len(batch) == 1  # a window over the cap alone
    assert [len(b) for b in batches] == [32, 8, 8, 8, 4, 1]


class Echo:
    """A network whose logits are each window's length, token sum and batch width: batching must not matter."""

    def __init__(self):
        self.widths = []

    def __call__(self, input_ids, attention_mask):
        self.widths.append(input_ids.shape[1])
        return np.stack([attention_mask.sum(1), (input_ids * attention_mask).sum(1), np.zeros(len(input_ids))], 1)


def test_logits_do_not_depend_on_how_windows_are_batched():
    rng = np.random.default_rng(1)
    windows = [[list(rng.integers(5, 99, size=int(n))) for n in rng.integers(3, 128, size=k)]
               for k in rng.integers(1, 4, size=30)]
    scorer = Scorer(Echo(), None, {0: "negative", 1: "neutral", 2: "positive"}, model_id="x", model_version="x",
                    max_length=128, pad_id=1)
    one_each = scorer.logits(windows, batch_size=1)
    assert np.allclose(scorer.logits(windows), one_each)
    assert np.allclose(scorer.logits(windows, batch_size=64, max_tokens=10_000), one_each)
