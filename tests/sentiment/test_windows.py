"""Whole texts: windows of the shipped tokenizer, their aggregate, and what it changes for a long review."""
from __future__ import annotations

import numpy as np
import pytest

from core.config.settings import Settings
from sentiment.windows import aggregate, encode_windows, encode_windows_capped

PREFIX = "query: "
SHORT = ["Wat een mooie dag in Stad!", "", "kliko niet geleegd", "Alweer geen bus naar Zernike vanochtend. " * 3]
# A long review (about 250 tokens) that praises at length and gives its verdict at the very end.
OPENING = ("We kwamen op een zonnige zaterdagmiddag aan bij het restaurant aan de gracht. Het terras zag er "
           "prachtig uit, met veel planten en mooie lampjes, en de ontvangst was hartelijk. De kaart is "
           "verrassend en er staan veel lekkere vegetarische gerechten op. ")
MIDDLE = ("We bestelden een fles wijn en wat hapjes, en keken ondertussen naar de boten die voorbij voeren. "
          "Daarna kozen we allebei het menu van de chef, vier gangen met bijpassende wijnen. ")
VERDICT = ("Maar toen kwam het eten: de vis was koud, het vlees taai en oudbakken, we moesten anderhalf uur "
           "wachten, de ober was onbeschoft en er stonden gerechten op de rekening die we nooit kregen. "
           "Een vreselijke avond, walgelijk eten, nooit meer. Blijf hier weg!")
REVIEW = OPENING + MIDDLE * 2 + VERDICT


@pytest.fixture(scope="module")
def tokenizers(shipped_scorer):
    """The shipped model's tokenizer through transformers and as the bare `tokenizers` one scoring uses."""
    from transformers import AutoTokenizer

    from sentiment.shipped import assembled_dir

    return AutoTokenizer.from_pretrained(assembled_dir(Settings().cache_dir)), shipped_scorer.tokenizer


def test_a_text_that_fits_is_one_window_encoded_as_before(tokenizers):
    for tokenizer in tokenizers:
        for text, windows in zip(SHORT, encode_windows(tokenizer, SHORT, prefix=PREFIX, max_length=64)):
            expected = tokenizers[0](PREFIX + text, truncation=True, max_length=64)["input_ids"]
            assert windows == [expected]


def test_a_long_text_is_several_overlapping_windows(tokenizers):
    hf, bare = tokenizers
    windows = encode_windows(hf, [REVIEW], prefix=PREFIX, max_length=64)[0]
    assert windows == encode_windows(bare, [REVIEW], prefix=PREFIX, max_length=64)[0]
    assert len(windows) >= 4
    # the first window is exactly today's truncated encoding: title + lead keep their place
    assert windows[0] == hf(PREFIX + REVIEW, truncation=True, max_length=64)["input_ids"]
    head = hf(PREFIX + "x", add_special_tokens=True)["input_ids"][:4]  # <s> query :
    body = hf(PREFIX + REVIEW, add_special_tokens=False)["input_ids"][3:]
    for window in windows:
        assert len(window) <= 64 and window[:4] == head and window[-1] == hf.eos_token_id
    chunks = [w[4:-1] for w in windows]
    for a, b in zip(chunks, chunks[1:]):
        assert a[-16:] == b[:16]  # default stride: a quarter of the window
    assert chunks[0] + [t for c in chunks[1:] for t in c[16:]] == body  # nothing lost, nothing added
    wider = encode_windows(hf, [REVIEW], prefix=PREFIX, max_length=64, stride=32)[0]
    assert len(wider) > len(windows)


def test_absurd_lengths_are_capped_and_said_so(tokenizers):
    hf = tokenizers[0]
    endless = OPENING + MIDDLE * 200 + VERDICT
    (windows,), (capped,) = encode_windows_capped(hf, [endless], prefix=PREFIX, max_length=64, max_windows=16)
    assert len(windows) == 16 and capped
    every = encode_windows(hf, [endless], prefix=PREFIX, max_length=64, max_windows=10_000)[0]
    assert windows[0] == every[0] and windows[-1] == every[-1]  # the opening and the verdict both stay
    _, (fits,) = encode_windows_capped(hf, [REVIEW], prefix=PREFIX, max_length=64)
    assert not fits


def test_aggregate_is_the_mean_with_the_first_window_weighted():
    logits = np.array([[1.0, 0.0, -1.0], [3.0, 0.0, 1.0], [2.0, 3.0, 0.0]])
    assert aggregate(logits) == pytest.approx([2.0, 1.0, 0.0])
    assert aggregate(logits, first_weight=2.0) == pytest.approx([7 / 4, 3 / 4, -1 / 4])
    assert aggregate(logits[:1], first_weight=3.0) == pytest.approx(logits[0])


def test_scoring_reads_the_verdict_at_the_end(shipped_scorer):
    (whole, opening), windows = shipped_scorer.predict([REVIEW, OPENING + MIDDLE * 2]), shipped_scorer.preprocess([REVIEW])[0][0]
    assert len(windows) > 1
    assert opening[0] != "negative" and shipped_scorer.postprocess(shipped_scorer.forward(windows[-1:]))[0][0] == "negative"
    # measured: P(negative) 0.07 on the opening alone, 0.26 on the whole review (the mean of five windows,
    # three of them praise: the label stays positive, the verdict moves it)
    assert whole[1]["negative"] > opening[1]["negative"] + 0.1
    # the windows' mean, not just the last window: a first-window weight moves it towards the opening
    shipped_scorer.first_window_weight = 4.0
    try:
        leaning = shipped_scorer.predict([REVIEW])[0]
    finally:
        shipped_scorer.first_window_weight = 1.0
    assert leaning[1]["negative"] < whole[1]["negative"]


def test_short_posts_score_as_one_window_and_only_capped_texts_are_truncated(shipped_scorer):
    texts = ["Wat een prachtige avond op de Grote Markt!", REVIEW, OPENING + MIDDLE * 200 + VERDICT]
    windows, capped = shipped_scorer.preprocess(texts)
    assert [len(w) for w in windows][0] == 1 and capped == [False, False, True]
    single = shipped_scorer.forward(windows[0])
    assert shipped_scorer.logits(windows[:1])[0] == pytest.approx(single[0])
    flags = [s.flags for s in shipped_scorer.score(texts)]
    assert ["truncated" in f for f in flags] == [False, False, True]
