"""ONNX Runtime scoring: the exported graph gives the torch model's probabilities for any batch shape,
is exported once per model version, and its int8 variant is a separate, labelled graph."""
from __future__ import annotations

import subprocess
import sys

import pytest

from core.config.settings import Settings
from sentiment.ort import OnnxNetwork, compress_embeddings
from sentiment.scoring import Scorer, load_scorer

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
    exported = sorted((tmp_path / "cache").glob("onnx-*/*/model.onnx"))
    assert [p.parent.name for p in exported] == ["fp32"]
    stamp = exported[0].stat().st_mtime_ns
    load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=False)
    assert exported[0].stat().st_mtime_ns == stamp  # reused, not exported again

    int8 = load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=True)
    assert int8.model_version.endswith("+int8")
    assert int8.network.path.name in ("int8", "int8-r7")  # the CPU's variant, derived from the fp32 graph
    assert len(list((tmp_path / "cache").glob("onnx-*/*/model.onnx"))) == 2
    assert exported[0].stat().st_mtime_ns == stamp
    assert not list((tmp_path / "cache").glob("onnx-*/.*"))  # no half-built graph left behind
    for label, probs in int8.predict(TEXTS):
        assert label in probs and sum(probs.values()) == pytest.approx(1.0)


def test_int8_graph_stores_the_word_embeddings_as_int8(tiny_classifier_dir, tmp_path):
    import onnx

    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    fp32 = load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=False)
    target = tmp_path / "embeddings"
    target.mkdir()
    for name in ("model.onnx", "model.onnx.data"):
        (target / name).write_bytes((fp32.network.path / name).read_bytes())
    # the tiny model's table is small: no threshold, so that it counts as "the word embeddings"
    assert compress_embeddings(target / "model.onnx", min_rows=1) == 1
    kinds = {i.name: i.data_type for i in onnx.load(str(target / "model.onnx")).graph.initializer}
    assert any(name.endswith(".int8") and kind == onnx.TensorProto.INT8 for name, kind in kinds.items())
    (target / "config.json").write_bytes((fp32.network.path / "config.json").read_bytes())
    compressed = Scorer(OnnxNetwork(target, 1), fp32.tokenizer, {0: "negative", 1: "neutral", 2: "positive"},
                        model_id="x", model_version="x", max_length=fp32.max_length)
    for (_, probs), (_, want) in zip(compressed.predict(TEXTS), fp32.predict(TEXTS)):
        assert probs == pytest.approx(want, abs=0.02)  # one scale per row: close to fp32


def test_scoring_from_the_cached_graph_does_not_import_torch(tiny_classifier_dir, tmp_path):
    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=True)  # exports (torch) once
    code = ("import sys; from core.config.settings import Settings; from sentiment.scoring import load_scorer; "
            f"s = load_scorer(Settings(model={str(path)!r}, cache_dir={str(tmp_path / 'cache')!r}), quantized=True); "
            "s.predict(['mooi weer vandaag']); print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


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


def test_smoothing_moves_outliers_into_the_weights_without_changing_fp32(tiny_classifier_dir, tmp_path):
    import onnx

    from sentiment.ort import activation_ranges, save, smooth

    path = tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})
    fp32 = load_scorer(_settings(path, tmp_path), runtime="onnx", quantized=False)
    source = fp32.network.path / "model.onnx"
    windows = [w for ws in fp32.preprocess(TEXTS)[0] for w in ws]
    ranges = activation_ranges(source, windows, fp32.pad_id)
    assert ranges and all(r.ndim == 1 and (r >= 0).all() for r in ranges.values())
    target = tmp_path / "smoothed"
    target.mkdir()
    save(smooth(onnx.load(str(source)), ranges, alpha=0.3), target / "model.onnx")
    smoothed = Scorer(OnnxNetwork(target, 1), fp32.tokenizer, {0: "negative", 1: "neutral", 2: "positive"},
                      model_id="x", model_version="x", max_length=fp32.max_length)
    for (_, probs), (_, want) in zip(smoothed.predict(TEXTS), fp32.predict(TEXTS)):
        assert probs == pytest.approx(want, abs=1e-4)  # exact up to rounding: s and 1/s cancel


def test_int8_is_smoothed_with_the_ranges_shipped_beside_the_weights(tiny_classifier_dir, tmp_path):
    import json
    import shutil

    from sentiment.ort import RANGES_FILE, activation_ranges, write_ranges

    model = tmp_path / "model"
    shutil.copytree(tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"}), model)
    plain = load_scorer(_settings(model, tmp_path), runtime="onnx", quantized=True)
    assert json.loads((plain.network.path / "SOURCE.json").read_text())["smoothing"].startswith("ranges measured on")
    # the model now ships ranges "measured on its training texts": a variant of its own
    fp32 = load_scorer(_settings(model, tmp_path), runtime="onnx", quantized=False)
    windows = [w for ws in fp32.preprocess(TEXTS)[0] for w in ws]
    write_ranges(activation_ranges(fp32.network.path / "model.onnx", windows, fp32.pad_id), model / RANGES_FILE)
    shipped = load_scorer(_settings(model, tmp_path), runtime="onnx", quantized=True)
    assert json.loads((shipped.network.path / "SOURCE.json").read_text())["smoothing"] == f"ranges from {RANGES_FILE}"
    assert shipped.network.path.parent == plain.network.path.parent and shipped.network.path != plain.network.path
    assert shipped.network.path.name.startswith(plain.network.path.name + ".")
    for label, probs in shipped.predict(TEXTS):
        assert label in probs and sum(probs.values()) == pytest.approx(1.0)
