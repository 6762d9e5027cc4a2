"""Accuracy, macro-F1, positive-vs-negative accuracy and the confusion matrix on labelled TSV files.

    python benchmarks/sentiment_eval.py HELD_OUT.tsv [MORE.tsv ...] [--model DIR_OR_HUB_ID] [--int8 | --fp32]
                                        [--runtime onnx|torch]

Each line is `label<TAB>text` with label negative / neutral / positive. The model is the shipped one
(as NEWSROOM_QUANTIZE says: int8 by default; --fp32 or --int8 to choose) unless --model is given. The language gate is not applied: the
files are taken to be Dutch.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config.settings import get_settings  # noqa: E402
from sentiment.data import read_tsv  # noqa: E402
from sentiment.metrics import format_report, report  # noqa: E402
from sentiment.scoring import load_scorer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", default=None, help="local directory or hub id (default: NEWSROOM_MODEL or shipped)")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--int8", dest="quantized", action="store_true", default=None, help="int8 (the default)")
    precision.add_argument("--fp32", dest="quantized", action="store_false", help="fp32")
    parser.add_argument("--runtime", choices=("onnx", "torch"), default=None, help="default: NEWSROOM_RUNTIME")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    scorer = load_scorer(get_settings(), model=args.model, quantized=args.quantized, runtime=args.runtime)
    print(f"model {scorer.model_id} {scorer.model_version} ({args.runtime or get_settings().runtime})")
    results = {}
    for path in args.files:
        try:
            examples = read_tsv(path)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        started = time.perf_counter()
        predictions = scorer.predict([e.text for e in examples])
        seconds = time.perf_counter() - started
        result = report([e.label for e in examples], [label for label, _ in predictions], [p for _, p in predictions])
        results[path.stem] = result
        print(format_report(path.stem, result) + f"\n  ({len(examples) / seconds:.0f} texts/s)")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
