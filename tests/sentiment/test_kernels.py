"""The int8 kernel is measured at prepare, recorded with the CPU's flags in the model's cache, and used."""
from __future__ import annotations

import json
import time

import pytest

from core.config.settings import Settings
from sentiment.kernels import CHOICE_FILE, TIE, chosen_variant, cpu_flags, default_variant, measure, read_choice
from sentiment.ort import model_dir
from sentiment.scoring import load_scorer, prepare_kernels

CPUINFO = """processor\t: 0
model name\t: {model}
flags\t\t: fpu sse sse2 avx avx2 fma {extra}

processor\t: 1
model name\t: {model}
flags\t\t: fpu sse sse2 avx avx2 fma {extra}
"""


def _cpu(tmp_path, extra: str, model: str = "Some CPU") -> dict:
    path = tmp_path / f"cpuinfo-{len(extra)}"
    path.write_text(CPUINFO.format(model=model, extra=extra))
    return cpu_flags(path)


def test_cpu_flags_and_the_default_without_measuring(tmp_path):
    avx2 = _cpu(tmp_path, "")
    assert avx2 == {"model": "Some CPU", "flags": ["avx2"]}
    assert default_variant(avx2) == "int8-r7"  # 16-bit sums: 7-bit weights
    zen4 = _cpu(tmp_path, "avx512f avx512_vnni avx512_bf16")
    assert zen4["flags"] == sorted(["avx2", "avx512f", "avx512_vnni", "avx512_bf16"])
    assert default_variant(zen4) == "int8"
    assert default_variant(_cpu(tmp_path, "avx_vnni")) == "int8"
    assert cpu_flags(tmp_path / "missing") == {}


@pytest.fixture
def prepared(tiny_classifier_dir, tmp_path):
    settings = Settings(model=str(tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"})),
                        cache_dir=tmp_path / "cache", threads=1)
    return settings, prepare_kernels(settings)


def test_prepare_measures_every_variant_and_records_the_choice(prepared):
    settings, record = prepared
    assert set(record["measured"]) == {"fp32", "int8", "int8-r7"}
    assert record["measured"]["fp32"]["label_agreement"] == 1.0
    for m in record["measured"].values():
        assert m["texts_per_s"] > 0
    stored = json.loads(open(record["path"]).read())
    assert stored["cpu"] == cpu_flags() and stored["onnxruntime"] and stored["bf16"]
    assert stored["u8s8_saturates"] in (True, False)  # probed: the flags alone do not say
    assert stored["choice"] in (None, "int8", "int8-r7")
    if stored["choice"]:  # the fastest that agrees with fp32, or the CPU's default when it is as fast
        agreeing = {k: v for k, v in stored["measured"].items() if k != "fp32" and v["label_agreement"] >= stored["min_agreement"]}
        fastest = max(agreeing, key=lambda k: agreeing[k]["texts_per_s"])
        assert stored["choice"] in (fastest, default_variant(cpu_flags()))
        assert agreeing[stored["choice"]]["texts_per_s"] >= (1 - TIE) * agreeing[fastest]["texts_per_s"]


def test_near_ties_go_to_the_cpus_default():
    import numpy as np

    logits = [np.array([[2.0, 0.0, -2.0]])] * 2

    def timed(seconds):
        def score(windows):
            time.sleep(seconds)
            return logits[0]
        return score

    windows = [[[0, 5, 2]]]
    vnni, avx2 = {"flags": ["avx2", "avx512_vnni"]}, {"flags": ["avx2"]}
    scorers = {"fp32": timed(0.2), "int8": timed(0.104), "int8-r7": timed(0.1)}
    assert measure(scorers, windows, repeats=1, cpu=vnni)["choice"] == "int8"  # within TIE of int8-r7
    assert measure(scorers, windows, repeats=1, cpu=avx2)["choice"] == "int8-r7"  # as close: the default
    scorers["int8"] = timed(0.2)
    assert measure(scorers, windows, repeats=1, cpu=vnni)["choice"] == "int8-r7"  # clearly slower: not chosen


def test_among_near_ties_the_closest_to_fp32_wins():
    import numpy as np

    def scorer(seconds, logits):
        def score(windows):
            time.sleep(seconds)
            return np.array([logits])
        return score

    windows = [[[0, 5, 2]]]
    scorers = {"fp32": scorer(0.2, [2.0, 0.0, -2.0]), "int8": scorer(0.104, [1.95, 0.0, -2.0]),
               "int8-r7": scorer(0.1, [1.5, 0.0, -2.0])}  # same label, further from fp32's probabilities
    assert measure(scorers, windows, repeats=1, cpu={"flags": ["avx2"]})["choice"] == "int8"


def test_scoring_uses_the_recorded_choice_on_this_cpu_only(prepared):
    settings, record = prepared
    fp32 = load_scorer(settings, quantized=False)
    root = model_dir(settings.cache_dir, f"{fp32.model_id}@{fp32.model_version}")
    assert (root / CHOICE_FILE).exists()
    for forced in ("int8-r7", "int8"):
        stored = read_choice(root)
        stored["choice"] = forced
        (root / CHOICE_FILE).write_text(json.dumps(stored))
        assert chosen_variant(root) == (forced, "measured at prepare")
        scorer = load_scorer(settings, quantized=True)
        assert scorer.network.path.name == forced and scorer.model_version.endswith("+int8")
    # measured on another CPU: not trusted, the flags decide
    stored["cpu"] = {"model": "elsewhere", "flags": ["avx2"] if cpu_flags()["flags"] != ["avx2"] else ["avx512f"]}
    (root / CHOICE_FILE).write_text(json.dumps(stored))
    assert chosen_variant(root)[0] == default_variant(cpu_flags())
    assert load_scorer(settings, quantized=True).network.path.name == default_variant(cpu_flags())
    assert load_scorer(settings, quantized=False).network.path.name == "fp32"


def test_the_saturation_probe_matches_a_full_int8_product():
    """u8s8_saturates says whether ONNX Runtime's u8 x s8 product loses a sum that needs 17 bits:
    checked here against a larger product of the same kind."""
    import numpy as np
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    from sentiment.kernels import u8s8_saturates

    a = np.full((4, 64), 255, dtype=np.uint8)
    b = np.full((64, 4), 127, dtype=np.int8)
    graph = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"], ["c"])], "g",
                              [helper.make_tensor_value_info("a", TensorProto.UINT8, [4, 64])],
                              [helper.make_tensor_value_info("c", TensorProto.INT32, [4, 4])],
                              [numpy_helper.from_array(b, "b")])
    session = onnxruntime.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                                           .SerializeToString(), providers=["CPUExecutionProvider"])
    exact = (session.run(None, {"a": a})[0] == 64 * 255 * 127).all()
    assert u8s8_saturates() is (not exact)
