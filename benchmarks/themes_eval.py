"""Precision and recall of theme tagging per theme, on Dutch posts whose themes were labelled by hand.

    python benchmarks/themes_eval.py [--config config/groningen.toml] [--labels tests/core/theme_labels.tsv]
                                     [--errors]

The labels (tests/core/theme_labels.tsv) hold the demo corpus's posts with their text, and entries of
the recorded Dutch feeds in ../shared/testdata/feeds/dutch/ by file and entry id: their text is read
from there, and they are left out (with a note) when ../shared is absent. Tagging is
core.ingest.themes.themes_for with the configuration's themes, as at ingest. --errors lists every
missed and every wrong tag.
"""
from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config.watch import load_config  # noqa: E402
from core.ingest.themes import themes_for  # noqa: E402

LABELS = ROOT / "tests" / "core" / "theme_labels.tsv"
FEEDS = ROOT.parent / "shared" / "testdata" / "feeds" / "dutch"


@dataclass(frozen=True)
class Example:
    id: str
    themes: frozenset[str]
    title: str | None
    text: str


def _feed_texts(feeds: Path) -> dict[str, tuple[str, str]]:
    """{'relative/path.xml#entry id': (title, summary as text)} for every entry of the recorded feeds."""
    import feedparser

    texts: dict[str, tuple[str, str]] = {}
    for path in sorted(feeds.rglob("*.xml")):
        for entry in feedparser.parse(str(path)).entries:
            key = f"{path.relative_to(feeds)}#{entry.get('id') or entry.get('link')}"
            summary = html.unescape(re.sub(r"<[^>]+>", " ", entry.get("summary", "")))
            texts.setdefault(key, (entry.get("title", ""), re.sub(r"\s+", " ", summary).strip()))
    return texts


def load_examples(labels: Path = LABELS, feeds: Path = FEEDS) -> tuple[list[Example], int]:
    """The labelled examples that can be read, and how many were skipped (../shared absent)."""
    feed_texts = _feed_texts(feeds) if feeds.is_dir() else {}
    examples, skipped = [], 0
    for line in labels.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        item_id, themes, text = line.split("\t")
        expected = frozenset(t for t in themes.split(",") if t)
        if item_id.startswith("shared:"):
            found = feed_texts.get(item_id.removeprefix("shared:"))
            if found is None:
                skipped += 1
                continue
            examples.append(Example(item_id, expected, *found))
        else:
            examples.append(Example(item_id, expected, None, text.replace(" | ", "\n")))
    return examples, skipped


def evaluate(examples: list[Example], themes) -> dict:
    """Per theme and over all themes (micro): true/false positives, false negatives, precision, recall."""
    counts: dict[str, Counter] = {theme.name: Counter() for theme in themes}
    errors = []
    for example in examples:
        found = set(themes_for(themes, example.title, example.text))
        for name, tally in counts.items():
            tally["tp"] += name in found and name in example.themes
            tally["fp"] += name in found and name not in example.themes
            tally["fn"] += name not in found and name in example.themes
        if found != example.themes:
            errors.append((example, sorted(found - example.themes), sorted(example.themes - found)))
    total = sum(counts.values(), Counter())
    figures = {name: _figures(tally) for name, tally in counts.items()}
    figures["(alle thema's)"] = _figures(total)
    return {"figures": figures, "errors": errors}


def _figures(tally: Counter) -> dict:
    tp, fp, fn = tally["tp"], tally["fp"], tally["fn"]
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "groningen.toml")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--errors", action="store_true", help="list every missed and wrong tag")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    examples, skipped = load_examples(args.labels)
    print(f"{len(examples)} labelled posts ({sum(1 for e in examples if not e.themes)} without a theme)"
          + (f"; {skipped} feed entries skipped: {FEEDS} is absent" if skipped else ""))
    result = evaluate(examples, config.themes)
    print(f"{'theme':<20} {'posts':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}")
    for name, f in result["figures"].items():
        print(f"{name:<20} {f['tp'] + f['fn']:>5} {f['tp']:>4} {f['fp']:>4} {f['fn']:>4} "
              f"{f['precision']:>9.3f} {f['recall']:>7.3f}")
    if args.errors:
        for example, wrong, missed in result["errors"]:
            text = f"{example.title or ''} {example.text}".strip().replace("\n", " ")
            print(f"- {example.id}: wrong {wrong} missed {missed}: {text[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
