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

    from sentiment.ort import RANGES_FILE
    from sentiment.scoring import write_activation_ranges

    model = tmp_path / "model"
    shutil.copytree(tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"}), model)
    plain = load_scorer(_settings(model, tmp_path), runtime="onnx", quantized=True)
    assert json.loads((plain.network.path / "SOURCE.json").read_text())["smoothing"].startswith("ranges measured on")
    # the model now ships ranges "measured on its training texts" (what train() does last): a variant of its own
    assert write_activation_ranges(TEXTS * 100, source=model, cache_dir=tmp_path / "cache") == model / RANGES_FILE
    shipped = load_scorer(_settings(model, tmp_path), runtime="onnx", quantized=True)
    assert json.loads((shipped.network.path / "SOURCE.json").read_text())["smoothing"] == f"ranges from {RANGES_FILE}"
    assert shipped.network.path.parent == plain.network.path.parent and shipped.network.path != plain.network.path
    assert shipped.network.path.name.startswith(plain.network.path.name + ".")
    for label, probs in shipped.predict(TEXTS):
        assert label in probs and sum(probs.values()) == pytest.approx(1.0)


def _matmul_graph(weight, gelu_weight):
    """x -> MatMul(weight); relu(x) named as the exported GELU -> MatMul(gelu_weight): both weight products."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="/layer.0/attention/self/query/MatMul"),
             helper.make_node("Relu", ["x"], ["g"], name="/layer.0/intermediate/intermediate_act_fn/Mul_1"),
             helper.make_node("MatMul", ["g", "w2"], ["y2"], name="/layer.0/output/dense/MatMul")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", 16])],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("y", "y2")],
                              [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(gelu_weight, "w2")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_int8_quantises_each_token_on_its_own_scale():
    """A token with huge activations (like <s>) beside ordinary ones: with one scale per row the
    ordinary tokens keep their precision (one scale per batch would round them to a few levels)."""
    import numpy as np
    import onnxruntime

    from sentiment.ort import quantize_rows

    rng = np.random.default_rng(0)
    w, w2 = rng.standard_normal((16, 8)).astype(np.float32), rng.standard_normal((16, 8)).astype(np.float32)
    x = rng.standard_normal((2, 5, 16)).astype(np.float32)
    x[0, 0] *= 1000  # one outlier token
    # 7-bit weights: exact on every CPU (8-bit ones can saturate where ONNX Runtime has no VNNI kernel)
    model = quantize_rows(_matmul_graph(w, w2), bits=7)
    assert {n.op_type for n in model.graph.node} >= {"MatMulIntegerToFloat", "QuantizeLinear"}
    assert "MatMul" not in {n.op_type for n in model.graph.node}
    y, y2 = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": x})
    for got, want in ((y, x @ w), (y2, np.maximum(x, 0) @ w2)):
        assert got.shape == want.shape
        for token in np.ndindex(want.shape[:2]):  # every token, the ordinary ones too, within 2 %
            error = np.linalg.norm(got[token] - want[token]) / np.linalg.norm(want[token])
            assert error < 0.02, (token, error)


def test_int8_keeps_listed_products_in_fp32():
    import numpy as np

    from sentiment.ort import quantize_rows

    w = np.ones((16, 8), np.float32)
    model = quantize_rows(_matmul_graph(w, w), keep_fp32=(r"/output/dense/",), bits=7)
    assert [n.name for n in model.graph.node if n.op_type == "MatMul"] == ["/layer.0/output/dense/MatMul"]
    assert max(abs(int(v)) for i in model.graph.initializer if i.name.endswith(".w")
               for v in __import__("onnx").numpy_helper.to_array(i).ravel()) == 63  # 7-bit weights
