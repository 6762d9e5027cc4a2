"""The shipped configuration's themes against the hand-labelled Dutch posts (tests/core/theme_labels.tsv).

benchmarks/themes_eval.py prints the figures per theme; this test keeps them from sliding back.
"""
import importlib.util
import sys
from pathlib import Path

import pytest

from core.config.watch import load_config
from core.ingest.themes import themes_for
from core.matching import is_relevant

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "config" / "groningen.toml")


def _load_themes_eval():
    spec = importlib.util.spec_from_file_location("benchmarks_themes_eval", ROOT / "benchmarks" / "themes_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


themes_eval = _load_themes_eval()


def test_the_labelled_set_is_large_and_covers_every_theme():
    lines = [line for line in (ROOT / "tests/core/theme_labels.tsv").read_text().splitlines() if not line.startswith("#")]
    assert len(lines) >= 300
    labelled = {theme for line in lines for theme in line.split("\t")[1].split(",") if theme}
    assert labelled == {theme.name for theme in CONFIG.themes}


@pytest.mark.parametrize("with_feeds", [False, True], ids=["demo", "demo+feeds"])
def test_shipped_themes_reach_the_targets(with_feeds):
    examples, skipped = themes_eval.load_examples()
    if with_feeds:
        if skipped:
            pytest.skip(f"{themes_eval.FEEDS} is absent: the recorded feeds' entries are not evaluated")
    else:
        examples = [e for e in examples if e.id.startswith("demo:")]
    overall = themes_eval.evaluate(examples, CONFIG.themes)["figures"]["(alle thema's)"]
    assert overall["precision"] >= 0.9 and overall["recall"] >= 0.8, overall


@pytest.mark.parametrize("text", [
    "De Tweede Kamer debatteert over de stikstofregels",
    "Kamerleden willen meer geld voor de regio",
    "Brandstofprijzen stijgen opnieuw",
    "Stationsplein krijgt bankjes",
])
def test_the_false_positives_of_issue_15_are_untagged(text):
    assert themes_for(CONFIG.themes, None, text) == []


def test_the_shipped_watch_leaves_out_the_football_club_and_the_province():
    watch = CONFIG.watch
    assert not is_relevant("FC Groningen verliest van Ajax", watch.terms, watch.exclude)
    assert not is_relevant("De provincie Groningen trekt geld uit voor dijken", watch.terms, watch.exclude)
    assert not is_relevant("Windpark in Oost-Groningen gaat draaien", watch.terms, watch.exclude)
    assert is_relevant("Gemeente Groningen plaatst nieuwe containers", watch.terms, watch.exclude)
    assert is_relevant("FC Groningen-supporters vernielen bushokje in Paddepoel", watch.terms, watch.exclude)
    assert themes_for(CONFIG.themes, None, "Ondergrondse containers in Paddepoel puilen uit") == ["afval"]
