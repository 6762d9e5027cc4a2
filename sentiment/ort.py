"""ONNX Runtime for scoring: the classifier exported once into the cache, then run without torch.

    path = onnx_dir(load_torch_model, cache_dir, key="newsroom/e5-small-nl-sentiment@31b048face0e",
                    quantized=False)
    network = OnnxNetwork(path, threads=2)
    logits = network(input_ids, attention_mask)          # numpy int64 in, numpy float32 out

Why: on two CPU cores ONNX Runtime ran the same fp32 graph about 1.4x faster than eager torch (its
graph optimiser fuses layer norms and activations; no autograd bookkeeping), with the same logits to
1e-5; the model card has the measured figures. The export runs once per model version (`newsroom
model prepare`, or the first scoring run) into `<cache_dir>/onnx-…`, built beside its target and
renamed into place like the converted base, so concurrent first uses do not trip over each other.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from sentiment.convert import building

EXPORT_VERSION = 1  # bump when the export below changes: cached graphs are rebuilt
MODEL_FILE = "model.onnx"


class OnnxNetwork:
    """One inference session; `__call__` maps padded token ids and mask to logits."""

    def __init__(self, path: Path, threads: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        # Idle worker threads sleep instead of spinning: on a shared 2-core machine spinning steals
        # the crawlers' and the API's CPU, and it measured no faster here (sentiment_throughput.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(path / MODEL_FILE), options,
                                                    providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": attention_mask})[0]


def export(model, target: Path) -> None:
    """Trace `model` (a transformers sequence classifier) into target/model.onnx, batch and length dynamic."""
    import warnings

    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    # Plain (eager) attention traces into the MatMul/Softmax pattern ONNX Runtime's optimiser knows
    # (its attention fusion matched 12 of 12 layers); the SDPA path traces into one it did not (0 of 12).
    model.set_attn_implementation("eager")
    sample = torch.full((2, 16), 5, dtype=torch.long)
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}}
    with warnings.catch_warnings(), torch.inference_mode():
        # The tracer warns about Python branches on shapes inside transformers' mask helpers; they take
        # the same branch for every input with a mask, which the equivalence test checks.
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits(model.eval()), (sample, torch.ones_like(sample)), str(target / MODEL_FILE),
                          input_names=["input_ids", "attention_mask"], output_names=["logits"],
                          dynamic_axes=dynamic, opset_version=17, dynamo=False)


def quantize(target: Path) -> None:
    """Dynamic int8 quantisation of the weight matrix products, weights per output channel.

    7-bit weights (`reduce_range`): CPUs without VNNI (AVX2 only, like this project's machines)
    multiply u8 x s8 pairs into saturating 16-bit sums; 7 bits cannot overflow them, and lost fewer
    held-out points than 8 (model card)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = target / "fp32.onnx"
    (target / MODEL_FILE).rename(source)
    quantize_dynamic(str(source), str(target / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=True, op_types_to_quantize=["MatMul"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    source.unlink()


def onnx_dir(load_model: Callable[[], object], cache_dir: Path | str, *, key: str, quantized: bool) -> Path:
    """The exported graph for the model named by `key` (id + version), exporting on first use."""
    digest = hashlib.sha256(f"{key}|{quantized}|{EXPORT_VERSION}".encode()).hexdigest()[:16]
    target = Path(cache_dir) / f"onnx-{digest}"
    if (target / "config.json").exists():
        return target
    with building(target, ".onnx-") as tmp:
        model = load_model()
        export(model, tmp)
        if quantized:
            quantize(tmp)
        model.config.to_json_file(str(tmp / "config.json"))
        (tmp / "SOURCE.json").write_text(json.dumps({"model": key, "quantized": quantized,
                                                     "export_version": EXPORT_VERSION}) + "\n")
    return target

