"""Accuracy, macro-F1, confusion matrix and positive-vs-negative accuracy over the three labels."""
from __future__ import annotations

from typing import Sequence

from core.vocabulary import LABELS


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> list[list[int]]:
    """rows: gold label, columns: predicted label, both in LABELS order."""
    index = {label: i for i, label in enumerate(LABELS)}
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for g, p in zip(gold, predicted):
        matrix[index[g]][index[p]] += 1
    return matrix


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """F1 averaged over the labels present in gold or predictions."""
    scores = []
    for label in LABELS:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def pos_neg_accuracy(gold: Sequence[str], probabilities: Sequence[dict]) -> float | None:
    """On gold positive/negative items only: is P(positive) vs P(negative) on the right side?
    Neutral is left out on both sides, as in the usual binary benchmarks."""
    pairs = [(g, p) for g, p in zip(gold, probabilities) if g != "neutral"]
    if not pairs:
        return None
    right = sum((p["positive"] > p["negative"]) == (g == "positive") for g, p in pairs)
    return right / len(pairs)


def report(gold: Sequence[str], predicted: Sequence[str], probabilities: Sequence[dict] | None = None) -> dict:
    result = {
        "n": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0,
        "macro_f1": macro_f1(gold, predicted),
        "confusion": confusion(gold, predicted),
    }
    if probabilities is not None:
        result["pos_neg_accuracy"] = pos_neg_accuracy(gold, probabilities)
    return result


def format_report(name: str, result: dict) -> str:
    lines = [f"{name}: n={result['n']} accuracy={result['accuracy']:.3f} macro-F1={result['macro_f1']:.3f}"
             + (f" pos-vs-neg={result['pos_neg_accuracy']:.3f}" if result.get("pos_neg_accuracy") is not None else "")]
    width = max(len(label) for label in LABELS)
    lines.append(" " * (width + 8) + "  ".join(f"{label[:3]:>5}" for label in LABELS) + "   (predicted)")
    for label, row in zip(LABELS, result["confusion"]):
        lines.append(f"  gold {label:<{width}} " + "  ".join(f"{n:>5}" for n in row))
    return "\n".join(lines)
