"""Map any classifier's labels (config.id2label) onto negative / neutral / positive.

Names are matched case-insensitively by the start of their words, in English and Dutch
("Very Negative" and "very_negative" are negative):
    neg…, negatief, bad            -> negative
    neu…, neutraal, none, objective -> neutral
    pos…, positief, good           -> positive
    "1 star" … "5 stars"           -> 1-2 negative, 3 neutral, 4-5 positive (review-star models)
Generic names (LABEL_0, LABEL_1, …, or bare digits) fall back on position: two labels are read as
[negative, positive], three as [negative, neutral, positive] — the convention of almost every
published sentiment model. Anything else is refused with the names it found.

A model without a neutral output (binary, e.g. RobBERT's Negative/Positive) gets neutral from a margin
(NEWSROOM_NEUTRAL_MARGIN, default 0.5): a text is neutral when |P(positive) - P(negative)| < margin.
Its three probabilities are then: neutral = 1 - |P(pos) - P(neg)|, and negative/positive share the
rest in proportion, so they still sum to one and a confident model keeps a small neutral share.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.vocabulary import LABELS

_PREFIXES = {
    "negative": ("neg", "bad", "slecht"),
    "neutral": ("neu", "none", "objective", "geen"),
    "positive": ("pos", "good", "goed"),
}
_STARS = re.compile(r"^([1-5])\s*stars?$")
_GENERIC = re.compile(r"^(label_?)?\d+$")
_BY_POSITION = {2: ("negative", "positive"), 3: LABELS}


class LabelMappingError(ValueError):
    pass


def _name_to_label(name: str) -> str | None:
    name = name.strip().lower()
    stars = _STARS.match(name)
    if stars:
        n = int(stars.group(1))
        return "negative" if n <= 2 else "neutral" if n == 3 else "positive"
    # "very negative", "very_positive": the polarity word decides
    found = {label for word in re.split(r"[^a-z]+", name) if word
             for label, prefixes in _PREFIXES.items() if word.startswith(prefixes)}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class LabelMap:
    """targets[i] is the label of the model's output i."""

    targets: tuple[str, ...]

    @property
    def binary(self) -> bool:
        return "neutral" not in self.targets

    def three_way(self, probs: list[float], neutral_margin: float) -> tuple[str, dict[str, float]]:
        """One text's output probabilities -> (label, probabilities over the three labels)."""
        summed = dict.fromkeys(LABELS, 0.0)
        for target, p in zip(self.targets, probs):
            summed[target] += float(p)
        if not self.binary:
            return max(LABELS, key=summed.get), summed
        neg, pos = summed["negative"], summed["positive"]
        gap = abs(pos - neg)
        total = neg + pos or 1.0
        result = {"negative": gap * neg / total, "neutral": 1.0 - gap, "positive": gap * pos / total}
        if gap < neutral_margin:
            return "neutral", result
        return ("positive" if pos > neg else "negative"), result


def label_map(id2label: dict) -> LabelMap:
    names = [str(id2label[i]) for i in sorted(id2label, key=int)]
    targets = [_name_to_label(n) for n in names]
    if all(t is not None for t in targets) and {"negative", "positive"} <= set(targets):
        return LabelMap(tuple(targets))
    if all(_GENERIC.match(n.strip().lower()) for n in names) and len(names) in _BY_POSITION:
        return LabelMap(_BY_POSITION[len(names)])
    raise LabelMappingError(
        f"cannot map the model's labels {names} onto negative/neutral/positive; "
        "expected names like negative/neutral/positive (any case, NEG/POS, Dutch negatief/positief, "
        "'1 star'…'5 stars') or 2-3 generic LABEL_n"
    )
