"""The shipped configuration's themes against the hand-labelled Dutch posts: the tuning set
(tests/core/theme_labels.tsv) and the report set (tests/core/theme_labels_report.tsv).

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


def test_shipped_themes_reach_the_targets_on_the_demo_corpus():
    examples = [e for e in themes_eval.load_examples()[0] if e.part == "demo"]
    overall = themes_eval.evaluate(examples, CONFIG.themes)["figures"]["(alle thema's)"]
    assert overall["precision"] >= 0.9 and overall["recall"] >= 0.8, overall


def _real(part):
    examples, skipped = themes_eval.load_examples()
    if skipped:
        pytest.skip(f"{themes_eval.SHARED} is absent: the real items are not evaluated")
    chosen = [e for e in examples if e.part == part]
    return chosen, themes_eval.evaluate(chosen, CONFIG.themes)["figures"]["(alle thema's)"]


def _ids(path):
    return [line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def test_the_report_set_is_large_real_and_apart_from_the_tuning_set():
    report_ids = _ids(themes_eval.REPORT_LABELS)
    assert len(report_ids) >= 300 and len(set(report_ids)) == len(report_ids)
    assert all(item.startswith("shared:") for item in report_ids)
    assert not set(report_ids) & set(_ids(themes_eval.LABELS))
    tuning, _ = _real("tuning")
    report, _ = _real("report")
    assert len(report) == len(report_ids)  # every item is still in its file
    assert not {e.text for e in report} & {e.text for e in tuning}


def test_shipped_themes_reach_the_targets_on_the_real_tuning_set():
    _, overall = _real("tuning")
    assert overall["precision"] >= 0.9 and overall["recall"] >= 0.8, overall


def test_shipped_themes_hold_on_the_real_report_set():
    """The terms were not tuned on this set (the fifth). Measured once: P 0.92 / R 0.79 on 77 positives,
    the recall just short of the target (P 0.9, R 0.8); this keeps it from sliding back."""
    _, overall = _real("report")
    assert overall["precision"] >= 0.88 and overall["recall"] >= 0.75, overall


@pytest.mark.parametrize("text", [
    "De Tweede Kamer debatteert over de stikstofregels",
    "Kamerleden willen meer geld voor de regio",
    "Brandstofprijzen stijgen opnieuw",
    "Stationsplein krijgt bankjes",
    "Rekenkamer kraakt bezuiniging op AIVD",
    "Britten willen verkoop gasvelden aan Russische miljardair blokkeren",
    "De pizza gaat twintig minuten in de oven",
    "Ik blijf vandaag lekker thuis",
    "Grieken willen regeling voor schuld aan ECB",
    "Het betalingsverkeer lag een uur stil",
    "Ik ga verhuizen binnen Beijum",
    "Auto huren op Schiphol wordt duurder",
    "V&D betaalt de huur van het winkelpand niet",
    "Meer containers overgeslagen in de haven van Delfzijl",
    "Banken veroordeeld tot hogere buffers",
    "Kunstmarkt groeit naar record van 51 miljard",
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


@pytest.mark.parametrize("text, expected", [
    ("Student zoekt kamer in Selwerd, huur tot 500 euro", ["wonen"]),
    ("De versterking van 200 woningen in Ten Boer begint in mei", ["wonen", "aardbeving"]),
    ("Minder gas uit Groningen: het kabinet verlaagt de winning", ["aardbeving"]),
    ("Kop-staartbotsing op de ringweg bij het Julianaplein", ["verkeer"]),
    ("Fietser gewond na ongeluk met een auto op de Paterswoldseweg", ["verkeer"]),
    ("Treinverkeer tussen Groningen en Assen ligt stil", ["openbaar-vervoer"]),
    ("Woninginbraken in Helpman: politie zoekt getuigen", ["veiligheid"]),
    ("Vermiste man (72) uit Hoogkerk gevonden", ["veiligheid"]),
    ("Meer huishoudens in de bijstand, de voedselbank groeit", ["zorg-en-inkomen"]),
    ("Huizenprijzen in de stad stijgen opnieuw", ["wonen"]),
    ("Nieuwe skatebaan en speeltuin in De Wijert", ["openbare-ruimte"]),
    ("De huren stijgen volgend jaar opnieuw", ["wonen"]),
    ("Huizen in de stad worden duurder", ["wonen"]),
    ("Drie kwartier rondgereden in Vinkhuizen voor een parkeerplaats", ["parkeren"]),
    ("Oplichters aan de deur in Selwerd: politie waarschuwt", ["veiligheid"]),
    ("Man veroordeeld tot drie jaar cel voor overval", ["veiligheid"]),
    ("Thuiszorgers in Haren staken", ["zorg-en-inkomen"]),
])
def test_shipped_themes_on_dutch_news_forms(text, expected):
    assert themes_for(CONFIG.themes, None, text) == expected
