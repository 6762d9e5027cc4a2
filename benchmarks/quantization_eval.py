"""Which weight products can be int8 without losing macro-F1: ONNX int8 variants against fp32.

    python benchmarks/quantization_eval.py [--configs all-r7,all-8,...] [--held-out] [--work DIR]

Builds each candidate from the cached fp32 graph of the configured model (sentiment.ort.build_variant
with its own `keep_fp32` patterns), scores the DEV sets of `sentiment.train.build_mix(TrainOptions())`
with windows as production does, and prints macro-F1 (and pos-vs-neg accuracy) per set and pooled,
agreement with fp32 (equal labels, largest and mean probability difference), and CPU time per text.
Choose on dev only, on agreement first (less noisy than macro-F1 differences on small sets);
`--held-out` then reports the held-out sets too (for the model card, not for choosing). Generic over
the sets build_mix returns.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LAYER = r"/encoder/layer\.{}/"
FFN_OUT = r"/output/dense/MatMul$"  # the GELU output -> hidden product: the widest activation range
ATTN_OUT = r"/attention/output/dense/"
FFN = r"/layer\.\d+/output/dense/"
# name -> (variant, MatMuls kept in fp32, smoothed with calibration windows first: False, True or alpha,
#          activations per "row" or per "tensor" (ONNX Runtime's dynamic int8, the earlier recipe))
CONFIGS: dict[str, tuple[str, tuple[str, ...], bool | float, str]] = {
    # the shipped recipe (sentiment.ort: activations per row, smoothing alpha SMOOTH_ALPHA, nothing fp32)
    "row": ("int8", (), True, "row"),
    "row-r7": ("int8-r7", (), True, "row"),
    "row-unsmoothed": ("int8", (), False, "row"),
    "row.5": ("int8", (), 0.5, "row"),
    "row+ffn-out-2,3,8": ("int8", tuple(rf"/layer\.{i}/output/dense/" for i in (2, 3, 8)), True, "row"),
    "all-r7": ("int8-r7", (), False, "tensor"),
    "all-8": ("int8", (), False, "tensor"),
    "ffn-out-8": ("int8", (FFN,), False, "tensor"),
    "last2-8": ("int8", (LAYER.format(10), LAYER.format(11)), False, "tensor"),
    "attn-out-8": ("int8", (ATTN_OUT,), False, "tensor"),
    "ffn-out+last2-8": ("int8", (FFN, LAYER.format(10), LAYER.format(11)), False, "tensor"),
    "first2-8": ("int8", (LAYER.format(0), LAYER.format(1)), False, "tensor"),
    "smooth-8": ("int8", (), True, "tensor"),
    "smooth-r7": ("int8-r7", (), True, "tensor"),
    "smooth+ffn-out-8": ("int8", (FFN,), True, "tensor"),
    "smooth+ffn-out-r7": ("int8-r7", (FFN,), True, "tensor"),
    "attn-only-8": ("int8", (FFN, r"/intermediate/dense/"), False, "tensor"),
    "smooth+ffn-out+inter6-8": ("int8", (FFN, *(rf"/layer\.{i}/intermediate/dense/" for i in (1, 2, 3, 6, 8, 9))), True, "tensor"),
    "smooth.8+ffn-out-8": ("int8", (FFN,), 0.8, "tensor"),
    "smooth.3+ffn-out-8": ("int8", (FFN,), 0.3, "tensor"),
    "smooth.3+ffn-out-r7": ("int8-r7", (FFN,), 0.3, "tensor"),
    "smooth.15+ffn-out-8": ("int8", (FFN,), 0.15, "tensor"),
}


def sensitivity(scorer, texts: list[str], reduce_range: bool, batch_size: int = 16) -> list[tuple[float, str]]:
    """Per weight MatMul of the fp32 graph: the relative error of its output when its input is quantised
    as the shipped int8 does it (sentiment.ort.quantize_rows: one scale per row, symmetric, unsmoothed)
    and its weight per output channel (s8, or 7 bits), on the windows of `texts` in production's
    length-sorted batches. Largest first."""
    import numpy as np
    import onnx
    import onnxruntime
    from onnx import numpy_helper

    path = scorer.network.path / "model.onnx"
    model = onnx.load(str(path))
    weights = {i.name: i for i in model.graph.initializer}
    matmuls = [(n.name, n.input[0], n.input[1]) for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    known = {o.name for o in model.graph.output}
    for _, activation, _ in matmuls:
        if activation not in known:
            model.graph.output.append(onnx.helper.make_tensor_value_info(activation, onnx.TensorProto.FLOAT, None))
            known.add(activation)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    qmax = 63 if reduce_range else 127
    wq = {}
    for name, _, weight in matmuls:
        w = numpy_helper.to_array(weights[weight]).astype(np.float32)
        scale = np.abs(w).max(axis=0, keepdims=True) / qmax
        scale[scale == 0] = 1
        wq[name] = (w, np.clip(np.rint(w / scale), -qmax, qmax) * scale)
    errors = dict.fromkeys((m[0] for m in matmuls), 0.0)
    windows = sorted((w for ws in scorer.preprocess(texts)[0] for w in ws), key=len)
    for start in range(0, len(windows), batch_size):
        batch = windows[start : start + batch_size]
        width = max(map(len, batch))
        ids = np.full((len(batch), width), scorer.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, w in enumerate(batch):
            ids[row, : len(w)], mask[row, : len(w)] = w, 1
        outputs = dict(zip(names, session.run(None, {"input_ids": ids, "attention_mask": mask})))
        for name, activation, _ in matmuls:
            a = outputs[activation]
            scale = np.abs(a).max(axis=-1, keepdims=True) / 127
            scale[scale == 0] = 1.0
            aq = np.clip(np.rint(a / scale), -127, 127) * scale
            w, w_q = wq[name]
            exact = a @ w
            errors[name] += float(np.linalg.norm(aq @ w_q - exact) / (np.linalg.norm(exact) or 1.0))
    return sorted(((e / max(1, -(-len(windows) // batch_size)), n) for n, e in errors.items()), reverse=True)


def _calibration(scorer, train: list, source: str) -> list[list[int]]:
    """Calibration windows: ~200 training texts (every n-th, so every set is in), or the fixed texts
    `newsroom model prepare` calibrates on (sentiment.kernels.TEXTS)."""
    from sentiment.kernels import TEXTS

    texts = list(TEXTS) if source == "fixed" else [e.text for e in train[:: max(1, len(train) // 200)]]
    return [w for ws in scorer.preprocess(texts)[0] for w in ws]


def _evaluate(scorer, sets: dict) -> dict:
    """Per set (and pooled): macro-F1, pos-vs-neg accuracy, the labels and probabilities (to compare
    with fp32's), and the process's CPU seconds per text for the forward passes (CPU time, not wall
    time: on a shared machine other processes' load changes wall time more than the work done)."""
    from sentiment.metrics import macro_f1, pos_neg_accuracy

    out, gold_all, pred_all, probs_all, cpu, n = {}, [], [], [], 0.0, 0
    for name, examples in sets.items():
        started = time.process_time()
        predictions = scorer.predict([e.text for e in examples])
        cpu, n = cpu + time.process_time() - started, n + len(examples)
        gold = [e.label for e in examples]
        labels = [p[0] for p in predictions]
        probs = [[p[1][k] for k in sorted(p[1])] for p in predictions]
        out[name] = {"n": len(gold), "macro_f1": round(macro_f1(gold, labels), 4),
                     "pos_neg": round(pos_neg_accuracy(gold, [p[1] for p in predictions]) or 0.0, 4),
                     "labels": labels, "probs": probs}
        gold_all += gold
        pred_all += labels
        probs_all += probs
    out["pooled"] = {"n": len(gold_all), "macro_f1": round(macro_f1(gold_all, pred_all), 4), "labels": pred_all,
                     "probs": probs_all, "cpu_ms_per_text": round(1000 * cpu / max(1, n), 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--held-out", action="store_true", help="also report the held-out sets (not for choosing): "
                        "run it for the chosen config only")
    parser.add_argument("--work", type=Path, default=None, help="where the candidate graphs go (default: a temp dir)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write-ranges", type=Path, default=None,
                        help="measure the activation ranges on ~200 training texts and write them there "
                        "(sentiment/model/activation_ranges.npz ships them), then stop")
    parser.add_argument("--calibration", choices=("train", "fixed"), default="train",
                        help="smoothing calibration: ~200 training texts, or prepare's fixed texts")
    parser.add_argument("--sensitivity", choices=("int8", "int8-r7"), default=None,
                        help="rank the MatMuls by simulated int8 error on ~160 dev texts and add configs "
                        "top4/8/12/18-<variant> that keep the worst in fp32")
    args = parser.parse_args(argv)

    from core.config.settings import Settings
    from sentiment.ort import OnnxNetwork, build_variant
    from sentiment.scoring import load_scorer
    from sentiment.train import TrainOptions, build_mix

    train, dev, held_out = build_mix(TrainOptions())
    if args.write_ranges:  # for the model folder: int8 smoothed on training texts (sentiment.ort.RANGES_FILE)
        from sentiment.ort import RANGES_FILE
        from sentiment.scoring import write_activation_ranges

        if args.write_ranges.name != RANGES_FILE:
            parser.error(f"--write-ranges: the file beside the weights is called {RANGES_FILE}")
        print("wrote", write_activation_ranges([e.text for e in train], source=args.write_ranges.parent,
                                                threads=args.threads))
        return 0
    if args.sensitivity:
        import re

        scorer = load_scorer(Settings(model="", threads=args.threads), runtime="onnx", quantized=False)
        texts = [e.text for examples in dev.values() for e in examples[:: max(1, sum(map(len, dev.values())) // 160)]]
        ranked = sensitivity(scorer, texts, reduce_range=args.sensitivity == "int8-r7")
        for error, name in ranked[:24]:
            print(f"{error:.4f}  {name}")
        for k in (4, 8, 12, 18):
            CONFIGS[f"top{k}-{args.sensitivity}"] = (args.sensitivity, tuple(re.escape(n) + "$" for _, n in ranked[:k]),
                                                    True, "row")
        Path(args.work or ".").mkdir(parents=True, exist_ok=True)
        (Path(args.work or ".") / "sensitivity.json").write_text(json.dumps(ranked, indent=1))
        if not args.configs:
            return 0
    sets = {"dev": dev, **({"held_out": held_out} if args.held_out else {})}
    print("sets:", {part: {k: len(v) for k, v in s.items()} for part, s in sets.items()}, flush=True)
    scorer = load_scorer(Settings(model="", threads=args.threads), runtime="onnx", quantized=False)
    fp32_dir, fp32_network = scorer.network.path, scorer.network
    results = {"fp32": {part: _evaluate(scorer, s) for part, s in sets.items()}}
    work = args.work or Path(tempfile.mkdtemp(prefix="quant-eval-"))
    for name in filter(None, args.configs.split(",")):
        variant, keep, smoothed, activations = CONFIGS[name]
        target = work / name
        started = time.perf_counter()
        if not (target / "model.onnx").exists():
            target.mkdir(parents=True, exist_ok=True)
            alpha = {} if isinstance(smoothed, bool) else {"alpha": smoothed}
            build_variant(fp32_dir, target, variant, keep_fp32=keep, activations=activations,
                          calibration=_calibration(scorer, train, args.calibration) if smoothed else None, **alpha)
        scorer.network = OnnxNetwork(target, args.threads)
        results[name] = {part: _evaluate(scorer, s) for part, s in sets.items()}
        results[name]["size_mb"] = round(os.path.getsize(target / "model.onnx") / 2**20)
        _print(name, results, sets, time.perf_counter() - started)
        scorer.network = fp32_network
    _print("fp32", results, sets, 0.0)
    Path(work / "results.json").write_text(json.dumps(
        {k: {p: {s: {m: x for m, x in r.items() if m not in ("labels", "probs")} for s, r in v.items()} if isinstance(v, dict) else v
             for p, v in res.items()} for k, res in results.items()}, indent=1))
    print("results:", work / "results.json")
    return 0


def _print(name: str, results: dict, sets: dict, seconds: float) -> None:
    """One line per part: agreement with fp32 (share of equal labels) and the largest and mean
    |difference| of a probability, pooled (less noisy than differences of macro-F1 on small sets), then
    per set macro-F1 and its change against fp32, and the CPU time per text."""
    import numpy as np

    for part in sets:
        res, ref = results[name][part], results["fp32"][part]
        pooled, ref_pooled = res["pooled"], ref["pooled"]
        agree = float(np.mean([a == b for a, b in zip(pooled["labels"], ref_pooled["labels"])]))
        diff = np.abs(np.array(pooled["probs"]) - np.array(ref_pooled["probs"])).max(axis=1)
        cells = [f"agree {agree:.3f} max|dp| {diff.max():.3f} mean|dp| {diff.mean():.4f}"]
        for set_name, r in res.items():
            delta = (r["macro_f1"] - ref[set_name]["macro_f1"]) * 100
            cells.append(f"{set_name} {r['macro_f1']:.3f} ({delta:+.1f} pt)")
        cells.append(f"{pooled['cpu_ms_per_text']} ms CPU/text")
        print(f"{name:18} {part:8} " + " | ".join(cells) + (f"  [{seconds:.0f}s]" if seconds else ""), flush=True)


if __name__ == "__main__":
    sys.exit(main())
