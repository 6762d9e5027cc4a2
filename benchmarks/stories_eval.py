"""Precision and recall of story grouping on labelled pairs of real Dutch feed items.

    python benchmarks/stories_eval.py [--pairs tests/core/fixtures/story_pairs.jsonl] [--errors]

Each line of the pairs file names two items of the recorded feeds in ../shared/testdata/feeds/dutch/
(file and entry id; the texts are read from there, so no third-party text is kept in the repository)
and says whether they carry the same story. The second item may be a variant of the first, built here
the way people post it: `comment` (title and lead reposted under a comment line), `lead` (the lead
lightly rewritten: no title, its first two sentences, every seventh word left out), `headline` (only
the headline shared, under a comment). The labels and the reasoning per kind are in the file.

Printed: the figures of the real pipeline (both posts through core.ingest.policy.ingest_post into a
fresh SQLite store, from two sources; "same" when they end in one story), per kind; the same with
exact fingerprints only (the grouping before near-duplicates); and the text rule alone per
containment threshold, which is how core.ingest.stories.NEAR_DUPLICATE was chosen.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.config.watch import parse_config  # noqa: E402
from core.ingest.policy import ingest_post  # noqa: E402
from core.ingest.stories import NEAR_DUPLICATE, containment  # noqa: E402
from core.store.db import make_engine, migrate  # noqa: E402
from core.store.posts import canonical_url, content_hash  # noqa: E402
from core.store.schema import posts  # noqa: E402
from core.store.sources import get_source, sync_sources  # noqa: E402
from core.store.stories import band_keys, fingerprints, shingles  # noqa: E402

PAIRS = ROOT / "tests" / "core" / "fixtures" / "story_pairs.jsonl"
FEEDS = ROOT.parent / "shared" / "testdata" / "feeds" / "dutch"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def feed_items(feeds: Path) -> dict[tuple[str, str], dict]:
    """(feed file relative to `feeds`, entry id) -> {"url", "title", "text"} of every recorded feed."""
    import feedparser

    items = {}
    for path in sorted(feeds.rglob("*.xml")):
        for entry in feedparser.parse(str(path)).entries:
            key = (path.relative_to(feeds).as_posix(), entry.get("id") or entry.get("link"))
            text = " ".join(_TAG.sub(" ", html.unescape(entry.get("summary", ""))).split())
            items[key] = {"url": entry.get("link"), "title": entry.get("title", ""), "text": text}
    return items


def variant(item: dict, ref: dict) -> dict:
    """The item as the pair's second post: itself, or a repost / rewrite of it (see the module doc)."""
    transform = ref.get("transform")
    if transform is None:
        return item
    if transform == "comment":
        return {"url": None, "title": None, "text": f"{ref['comment']} {item['title']}. {item['text']}"}
    if transform == "headline":
        return {"url": None, "title": None, "text": f"{ref['comment']} {item['title']}"}
    if transform == "lead":
        words = " ".join(_SENTENCE.split(item["text"])[:2]).split()
        return {"url": None, "title": None, "text": " ".join(w for i, w in enumerate(words, 1) if i % 7)}
    raise ValueError(f"unknown transform {transform!r}")


def load_pairs(path: Path, items: dict) -> list[tuple[dict, dict, bool, str]]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        a = items[(record["a"]["feed"], record["a"]["id"])]
        b = variant(items[(record["b"]["feed"], record["b"]["id"])], record["b"])
        pairs.append((a, b, record["label"] == "same", record["kind"]))
    return pairs


def pipeline(pairs) -> list[bool]:
    """Both posts of each pair through the ingest policy into one fresh store, from two sources of the
    pair's own (an item recurs in several pairs, and its source would call it a duplicate), the pairs
    weeks apart so they cannot meet; True where the two end in one story."""
    config = parse_config({"watch": {"city": "Alkmaar", "terms": ["Alkmaar"]}, "sources": [
        source for n in range(len(pairs)) for source in (
            {"name": f"feed-{n}", "kind": "feed", "url": f"https://feed{n}.example/rss", "local": True},
            {"name": f"social-{n}", "kind": "mastodon", "url": f"https://social{n}.example", "local": True})]})
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/stories.db")
        migrate(engine)
        found = []
        with engine.begin() as conn:
            sync_sources(conn, config)
            for n, (a, b, _, _) in enumerate(pairs):
                first, second = get_source(conn, f"feed-{n}"), get_source(conn, f"social-{n}")
                at = T0 + timedelta(days=10 * n)
                ids = []
                for source, post, delay in ((first, a, 0), (second, b, 2)):
                    _, post_id = ingest_post(conn, source, {
                        "external_id": f"{n}-{source.name}", "url": post["url"], "title": post["title"] or None,
                        "text": post["text"], "author_id": source.name, "published_at": at + timedelta(hours=delay)})
                    ids.append(post_id)
                stories = set(conn.execute(select(posts.c.story_id).where(posts.c.id.in_(ids))).scalars())
                found.append(len(stories) == 1)
        engine.dispose()
    return found


def exact_only(pairs) -> list[bool]:
    def keys(post):
        return {k for k in fingerprints(post["title"], post["text"], content_hash(post["title"], post["text"]),
                                        canonical_url(post["url"])) if not k.startswith("m")}
    return [bool(keys(a) & keys(b)) for a, b, _, _ in pairs]


def figures(truth: list[bool], found: list[bool]) -> tuple[float, float, float, int, int, int]:
    tp = sum(t and f for t, f in zip(truth, found))
    fp = sum(f and not t for t, f in zip(truth, found))
    fn = sum(t and not f for t, f in zip(truth, found))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, fp, fn


def line(name: str, truth: list[bool], found: list[bool]) -> str:
    p, r, f1, tp, fp, fn = figures(truth, found)
    return f"  {name:<28} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}   (tp {tp}, fp {fp}, fn {fn}, n {len(truth)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--feeds", type=Path, default=FEEDS)
    parser.add_argument("--errors", action="store_true", help="list every pair the pipeline gets wrong")
    args = parser.parse_args()
    if not args.feeds.is_dir():
        print(f"skipped: the recorded feeds are not at {args.feeds} (../shared is absent)")
        return 0
    pairs = load_pairs(args.pairs, feed_items(args.feeds))
    truth = [same for _, _, same, _ in pairs]
    kinds = Counter((kind, "same" if same else "different") for _, _, same, kind in pairs)
    print(f"{len(pairs)} labelled pairs: " + ", ".join(f"{k} {label} {n}" for (k, label), n in sorted(kinds.items())))

    found = pipeline(pairs)
    print(f"\nstory grouping as at ingest (exact fingerprints, then MinHash/LSH candidates checked at "
          f"containment ≥ {NEAR_DUPLICATE}):")
    print(line("all pairs", truth, found))
    for kind in sorted({k for _, _, _, k in pairs}):
        chosen = [i for i, (_, _, _, k) in enumerate(pairs) if k == kind]
        print(line(kind, [truth[i] for i in chosen], [found[i] for i in chosen]))
    print("\nexact fingerprints only (content hash, canonical URL, title, start of text):")
    print(line("all pairs", truth, exact_only(pairs)))

    print("\nthe text rule alone (shares an LSH band, then containment of word pairs ≥ threshold):")
    scored = []
    for a, b, _, _ in pairs:
        sa, sb = shingles(a["title"], a["text"]), shingles(b["title"], b["text"])
        candidate = bool(set(band_keys(sa)) & set(band_keys(sb)))
        scored.append(containment(sa, sb) if candidate else 0.0)
    for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        print(line(f"threshold {threshold}", truth, [s >= threshold for s in scored]))
    if args.errors:
        print("\nwrong:")
        for (a, b, same, kind), got in zip(pairs, found):
            if got != same:
                print(f"  [{kind}] labelled {'same' if same else 'different'}: {a['title'][:60]!r} / {(b['title'] or b['text'])[:60]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
