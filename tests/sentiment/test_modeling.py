"""The shipped architecture: mean of the token vectors under the mask, loadable through the Auto classes."""
from __future__ import annotations

import torch
from transformers import AutoModelForSequenceClassification

from sentiment.convert import convert
from sentiment.modeling import MeanPoolingBertClassifier


def _model(tiny_image, tmp_path) -> MeanPoolingBertClassifier:
    base = convert(tiny_image[0], tmp_path / "base")
    torch.manual_seed(0)
    return MeanPoolingBertClassifier.from_pretrained(base, num_labels=3).eval()


def test_padding_does_not_change_the_logits(tiny_image, tmp_path):
    model = _model(tiny_image, tmp_path)
    ids = torch.tensor([[5, 6, 7, 8]])
    alone = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
    padded_ids = torch.tensor([[5, 6, 7, 8, 1, 1, 1]])
    padded = model(input_ids=padded_ids, attention_mask=torch.tensor([[1, 1, 1, 1, 0, 0, 0]])).logits
    assert torch.allclose(alone, padded, atol=1e-5)


def test_saved_model_loads_through_the_auto_classes(tiny_image, tmp_path):
    model = _model(tiny_image, tmp_path)
    model.save_pretrained(tmp_path / "saved")
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "saved").eval()
    assert type(loaded) is MeanPoolingBertClassifier
    ids = torch.tensor([[5, 6, 7]])
    labels = torch.tensor([2])
    out = loaded(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels)
    assert torch.allclose(out.logits, model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits, atol=1e-6)
    assert out.loss is not None and out.loss.item() > 0
