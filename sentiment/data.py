"""Readers for the labelled sets the shipped model is trained on, and the train/held-out split.

The sets are third-party (../shared/testdata/sentiment, see its MANIFEST.tsv): they are read from
there at training time and never copied into the project.
"""
from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from core.vocabulary import LABELS

XLMT_LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
# XED emotion ids (Plutchik): joy 5 and trust 8 read as positive; anger 1, disgust 3, fear 4 and
# sadness 6 as negative; anticipation 2 and surprise 7 carry no polarity and are left out.
XED_POSITIVE = {5, 8}
XED_NEGATIVE = {1, 3, 4, 6}


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    # Examples of one group (the sentences of one review and the review itself) are never split
    # across training, dev and held-out: a held-out review must not have its sentences trained on.
    group: str = ""


def _clean(text: str) -> str:
    return " ".join(text.split())


def read_restaurants(path: Path) -> list[Example]:
    """SemEval-2016 ABSA Dutch restaurants: one label per sentence, the single polarity of its
    opinions; neutral when it has none; sentences with mixed polarities dropped."""
    examples = []
    for sentence in ET.parse(path).getroot().iter("sentence"):
        text = _clean(sentence.findtext("text") or "")
        polarities = {op.get("polarity") for op in sentence.iter("Opinion")}
        review = (sentence.get("id") or "").rpartition(":")[0]
        if not text:
            continue
        if not polarities:
            examples.append(Example(text, "neutral", "restaurants", review))
        elif len(polarities) == 1 and next(iter(polarities)) in LABELS:
            examples.append(Example(text, polarities.pop(), "restaurants", review))
    return examples


def read_reviews(path: Path, dominance: int = 3) -> list[Example]:
    """The same restaurant reviews as whole texts (the `textlevel` file): positive or negative when that
    polarity's opinions outnumber the other's `dominance` times; mixed reviews are left out (no one label
    fits them). These are the long texts: a median of about 50 words, up to 530."""
    examples = []
    for review in ET.parse(path).getroot().iter("Review"):
        text = _clean(" ".join(s.findtext("text") or "" for s in review.iter("sentence")))
        polarities = [op.get("polarity") for op in review.iter("Opinion")]
        pos, neg = polarities.count("positive"), polarities.count("negative")
        label = "positive" if pos > neg and pos >= dominance * neg else "negative" if neg > pos and neg >= dominance * pos else None
        if text and label:
            examples.append(Example(text, label, "reviews", review.get("rid") or ""))
    return examples


def read_news(path: Path) -> list[Example]:
    """Dutch news headlines (ecosent, 2015) coded by trained human coders: `label<TAB>text<TAB>medium<TAB>
    date<TAB>id` with a header."""
    examples = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            label, text, *rest = line.rstrip("\n").split("\t")
            text = _clean(text)
            if text and label in LABELS:
                examples.append(Example(text, label, "news", rest[-1] if rest else ""))
    return examples


def read_political(path: Path) -> list[Example]:
    """Dutch political tweets (Zegelaar): `content<TAB>polarity`, a literal backslash-n for newlines."""
    examples = []
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            text, _, label = line.rstrip("\n").rpartition("\t")
            text = _clean(text.replace("\\n", " "))
            if text and label in LABELS:
                examples.append(Example(text, label, "political"))
    return examples


def read_xlmt(folder: Path, split: str = "train") -> list[Example]:
    """XLM-T UMSAB tweets in eight languages (no Dutch), labels 0/1/2."""
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").splitlines()
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels in {split}")
    return [Example(_clean(t), XLMT_LABELS[l.strip()], "xlmt") for t, l in zip(texts, labels) if t.strip()]


def read_xed(path: Path) -> list[Example]:
    """XED Dutch subtitle projections (`text<TAB>emotion ids`) as positive/negative lines only."""
    examples = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, _, ids = line.rstrip("\n").rpartition("\t")
            emotions = {int(i) for i in ids.replace(" ", "").split(",") if i.isdigit()}
            pos, neg = bool(emotions & XED_POSITIVE), bool(emotions & XED_NEGATIVE)
            text = _clean(text)
            if text and pos != neg:
                examples.append(Example(text, "positive" if pos else "negative", "xed"))
    return examples


def stratified_split(examples: list[Example], test_fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Per label, shuffle with `seed` and hold out `test_fraction`: the same split every run."""
    rng = random.Random(seed)
    train, test = [], []
    for label in LABELS:
        group = [e for e in examples if e.label == label]
        rng.shuffle(group)
        cut = round(len(group) * test_fraction)
        test += group[:cut]
        train += group[cut:]
    return train, test


def group_split(groups: list[str], fractions: tuple[float, ...], seed: int) -> list[set[str]]:
    """The distinct groups shuffled with `seed` and cut into parts of the given fractions (the rest last)."""
    distinct = sorted(set(groups))
    random.Random(seed).shuffle(distinct)
    parts, start = [], 0
    for fraction in fractions:
        end = start + round(len(distinct) * fraction)
        parts.append(set(distinct[start:end]))
        start = end
    parts.append(set(distinct[start:]))
    return parts


def unique(examples: list[Example]) -> list[Example]:
    """One example per distinct text (case and spacing ignored), in first-seen order; a text labelled two
    ways is dropped. Retweets and syndicated headlines would otherwise sit on both sides of a split."""
    labels: dict[str, set[str]] = {}
    first: dict[str, Example] = {}
    for e in examples:
        key = " ".join(e.text.lower().split())
        labels.setdefault(key, set()).add(e.label)
        first.setdefault(key, e)
    return [e for key, e in first.items() if len(labels[key]) == 1]


def dedupe(examples: list[Example]) -> list[Example]:
    """The last example of each distinct text (case and spacing ignored): a later correction wins."""
    latest = {" ".join(e.text.lower().split()): e for e in examples}
    return list(latest.values())


def sample(examples: list[Example], n: int, seed: int, stratify: bool = True) -> list[Example]:
    """At most `n` examples, the same ones every run; balanced over labels when `stratify`."""
    if n >= len(examples):
        return list(examples)
    rng = random.Random(seed)
    if not stratify:
        return rng.sample(examples, n)
    labels = sorted({e.label for e in examples})
    chosen = []
    for i, label in enumerate(labels):
        group = [e for e in examples if e.label == label]
        share = n // len(labels) + (1 if i < n % len(labels) else 0)
        chosen += rng.sample(group, min(share, len(group)))
    return chosen


def write_tsv(examples: list[Example], path: Path) -> None:
    """label<TAB>text, the format benchmarks/sentiment_eval.py reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for e in examples:
            f.write(f"{e.label}\t{e.text}\n")


def read_tsv(path: Path) -> list[Example]:
    examples = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            label, sep, text = line.rstrip("\n").partition("\t")
            label = label.strip().lower()
            if not sep or label not in LABELS:
                raise ValueError(f"{path}:{number}: expected 'label<TAB>text' with label in {LABELS}, got {line[:60]!r}")
            examples.append(Example(text.strip(), label, path.stem))
    return examples
