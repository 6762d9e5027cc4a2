"""Precision and recall of theme tagging per theme, on Dutch posts whose themes were labelled by hand.

    python benchmarks/themes_eval.py [--config config/groningen.toml] [--labels tests/core/theme_labels.tsv]
                                     [--report-labels tests/core/theme_labels_report.tsv]
                                     [--errors [demo|real|real/tuning|real/report|all]]

Two labelled sets. The tuning set (tests/core/theme_labels.tsv) holds the demo corpus's posts with their
text and real Dutch items of ../shared/testdata (recorded feeds, a press-clipping page, news headlines,
politicians' tweets): the shipped terms were tuned on it. The report set
(tests/core/theme_labels_report.tsv) holds other real items of ../shared/testdata, labelled before any
matcher ran on them and only measured: its figure is the honest one.

It was made in rounds. Each round drew a report set from the Dutch items no labelled set held yet (seeded
samples, by source, never by words), labelled it by reading, tuned the terms on the tuning set only, measured
the report set once at the end, then moved it into the tuning set, where its errors were studied in the next
round (each move is noted in theme_labels.tsv with the figure it gave). The report set now in place is the
fifth: 924 headlines of national papers and politicians' tweets, the last Dutch items of ../shared/testdata,
untouched by the tuning (its header says how it was drawn and what it holds: its positives are mostly wonen
and zorg-en-inkomen, and four themes have none there).

Real items are kept by file and key only: their text is read from there, and they are left out (with a
note) when ../shared is absent. Tagging is core.ingest.themes.themes_for with the configuration's themes, as
at ingest. --errors lists every missed and every wrong tag of one part (by default the real tuning items:
look at the report set's errors and tune on them, and it is no longer a fair test).
"""
from __future__ import annotations

import argparse
import csv
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
REPORT_LABELS = ROOT / "tests" / "core" / "theme_labels_report.tsv"
SHARED = ROOT.parent / "shared" / "testdata"
FEEDS = SHARED / "feeds" / "dutch"


@dataclass(frozen=True)
class Example:
    id: str
    themes: frozenset[str]
    title: str | None
    text: str
    part: str  # 'demo', or for a real item 'tuning' (of the tuning set) or 'report' (of the report set)


def _plain(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup or ""))).strip()


def _feed_items(path: Path) -> dict[str, tuple[str, str]]:
    """{entry id or link: (title, summary as text)} of a recorded feed."""
    import feedparser

    items: dict[str, tuple[str, str]] = {}
    for entry in feedparser.parse(str(path)).entries:
        items.setdefault(entry.get("id") or entry.get("link"), (entry.get("title", ""), _plain(entry.get("summary", ""))))
    return items


def _clipping_items(path: Path) -> dict[str, tuple[str, str]]:
    """{anchor: (headline, outlet and lead as text)} of a saved press-clipping page (one item per
    <a name> ... <hr>)."""
    page = path.read_text(encoding="utf-8", errors="replace")
    items: dict[str, tuple[str, str]] = {}
    for anchor, body in re.findall(r'<a name="([^"]+)"></a>(.*?)(?=<hr>|<a name=|$)', page, flags=re.S):
        title = re.search(r"<h2>(.*?)</h2>", body, flags=re.S)
        rest = body[title.end():] if title else body
        items.setdefault(anchor, (_plain(title.group(1)) if title else "", _plain(re.sub(r"<a [^>]*>.*?</a>", " ", rest))))
    return items


def _table_items(path: Path) -> dict[str, tuple[str, str]]:
    """{key: ('', text)} of a table of labelled Dutch texts: news headlines (columns label, text, medium,
    date, id; keyed by id) or tweets (columns content, polarity; keyed by row number from 1, a literal
    backslash-n in a cell being a line break)."""
    with path.open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {
        row["id"] if "id" in row else str(number):
            ("", (row.get("text") or row.get("content") or "").replace("\\n", "\n").strip())
        for number, row in enumerate(rows, 1)
    }


def _reader(path: Path):
    if path.suffix == ".xml":
        return _feed_items
    if path.suffix == ".html":
        return _clipping_items
    return _table_items


def load_examples(labels: Path = LABELS, report: Path | None = REPORT_LABELS,
                  shared: Path = SHARED) -> tuple[list[Example], int]:
    """The labelled examples of the tuning set and (unless `report` is None) the report set that can be
    read, and how many real ones were skipped (../shared absent, or an item no longer in its file).

    A real item's id is `shared:PATH#KEY`, PATH relative to ../shared/testdata: a recorded feed (KEY its
    entry's id or link), a saved press-clipping page (KEY the item's anchor) or a table of headlines or tweets (KEY
    the id column, or a tweet table's row number). Only the id and the labels are kept in tests/; the
    text is read from there.
    """
    files: dict[str, dict[str, tuple[str, str]]] = {}
    examples, skipped = [], 0
    for source, real_part in ((labels, "tuning"), (report, "report")):
        if source is None:
            continue
        for line in source.read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#"):
                continue
            item_id, themes, text = line.split("\t")
            expected = frozenset(t for t in themes.split(",") if t)
            if item_id.startswith("shared:"):
                relative, _, key = item_id.removeprefix("shared:").partition("#")
                if relative not in files:
                    path = shared / relative
                    files[relative] = _reader(path)(path) if path.is_file() else {}
                found = files[relative].get(key)
                if found is None:
                    skipped += 1
                    continue
                examples.append(Example(item_id, expected, *found, part=real_part))
            else:
                examples.append(Example(item_id, expected, None, text.replace(" | ", "\n"), part="demo"))
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


PARTS = {
    "demo": lambda e: e.part == "demo",
    "real": lambda e: e.part != "demo",
    "real/tuning": lambda e: e.part == "tuning",
    "real/report": lambda e: e.part == "report",
    "all": lambda e: True,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "groningen.toml")
    parser.add_argument("--labels", type=Path, default=LABELS, help="the tuning set")
    parser.add_argument("--report-labels", type=Path, default=REPORT_LABELS, help="the report set")
    parser.add_argument("--errors", choices=[*PARTS], nargs="?", const="real/tuning",
                        help="list every missed and wrong tag of one part (default: the real tuning items)")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    examples, skipped = load_examples(args.labels, args.report_labels)
    if skipped:
        print(f"{skipped} real items skipped: {SHARED} is absent or lacks them; only the demo part is measured")
    results = {}
    print(f"{'part':<12} {'posts':>5} {'none':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}")
    for part, chosen in PARTS.items():
        subset = [e for e in examples if chosen(e)]
        results[part] = evaluate(subset, config.themes)
        f = results[part]["figures"]["(alle thema's)"]
        print(f"{part:<12} {len(subset):>5} {sum(1 for e in subset if not e.themes):>5} {f['tp']:>4} {f['fp']:>4} "
              f"{f['fn']:>4} {f['precision']:>9.3f} {f['recall']:>7.3f}")
    print()
    shown = ["demo", "real/tuning", "real/report"]
    print(f"{'theme':<17}" + "".join(f" {part + ' P/R (n)':>24}" for part in shown))
    for name in results["all"]["figures"]:
        cells = []
        for part in shown:
            f = results[part]["figures"][name]
            cells.append(f"{f['precision']:.2f}/{f['recall']:.2f} ({f['tp'] + f['fn']:>3})" if f["tp"] + f["fp"] + f["fn"]
                         else "-")
        print(f"{name:<17}" + "".join(f" {cell:>24}" for cell in cells))
    if args.errors:
        print(f"\nerrors ({args.errors}):")
        for example, wrong, missed in results[args.errors]["errors"]:
            text = f"{example.title or ''} {example.text}".strip().replace("\n", " ")
            print(f"- {example.id[-60:]}: wrong {wrong} missed {missed}: {text[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
