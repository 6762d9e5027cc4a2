"""ONNX Runtime scoring: the exported graph gives the torch model's probabilities for any batch shape,
is exported once per model version, and its int8 variant is a separate, labelled graph."""
from __future__ import annotations

import pytest

from core.config.settings import Settings
from sentiment.scoring import load_scorer

TEXTS = ["mooi", "de stad is vies en de bus komt weer te laat", "", "wat een prachtige dag op de Grote Markt " * 6,
         "kliko niet geleegd"]


def _settings(path, tmp_path, **extra) -> Settings:
    return Settings(model=str(path), cache_dir=tmp_path / "cache", **extra)


def test_onnx_matches_torch_for_every_batch_shape(tiny_classifier_dir, tmp_path):
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    torch_scorer = load_scorer(_settings(path, tmp_path), runtime="torch", quantized=False)
    onnx_scorer = load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=False)
    assert onnx_scorer.model_version == torch_scorer.model_version  # same model, same scores
    for batch_size in (1, 2, 64):  # batch and length differ from the export's sample (2 x 16)
        expected = torch_scorer.predict(TEXTS, batch_size=batch_size)
        got = onnx_scorer.predict(TEXTS, batch_size=batch_size)
        for (label, probs), (want_label, want) in zip(got, expected):
            assert label == want_label
            assert probs == pytest.approx(want, abs=1e-5)


def test_exported_once_per_model_version_and_quantisation(tiny_classifier_dir, tmp_path):
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=False)
    exported = sorted((tmp_path / "cache").glob("onnx-*/model.onnx"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns
    load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=False)
    assert exported[0].stat().st_mtime_ns == stamp  # reused, not exported again

    int8 = load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=True)
    assert int8.model_version.endswith("+int8")
    assert len(list((tmp_path / "cache").glob("onnx-*/model.onnx"))) == 2
    assert not list((tmp_path / "cache").glob(".onnx-*"))  # no half-built graph left behind
    for label, probs in int8.predict(TEXTS):
        assert label in probs and sum(probs.values()) == pytest.approx(1.0)


def test_shipped_model_same_probabilities_on_both_runtimes(shipped_scorer):
    texts = ["Wat een prachtige avond op de Grote Markt!", "Alweer geen bus, 20 minuten in de kou gewacht.",
             "De gemeenteraad vergadert donderdag over het afvalbeleid."]
    eager = load_scorer(Settings(), model="", runtime="torch", quantized=False)
    assert shipped_scorer.model_version == eager.model_version
    for (label, probs), (want_label, want) in zip(shipped_scorer.predict(texts), eager.predict(texts)):
        assert label == want_label and probs == pytest.approx(want, abs=1e-4)


def test_export_failure_falls_back_to_torch(tiny_classifier_dir, tmp_path, caplog):
    """A cache that cannot be written (or a model the exporter cannot trace) still scores, on torch."""
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    with caplog.at_level("WARNING", logger="sentiment.scoring"):
        scorer = load_scorer(Settings(model=str(path), cache_dir=blocked), runtime="onnx", quantized=False)
    assert "scoring with torch instead" in caplog.text
    expected = load_scorer(_settings(path, tmp_path), runtime="torch", quantized=False).predict(TEXTS)
    assert scorer.predict(TEXTS) == expected
