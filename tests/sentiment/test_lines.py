import io
import json

import pytest

from core.config.settings import Settings
from sentiment.lines import BadLine, run
from sentiment.scoring import load_scorer


@pytest.fixture(scope="module")
def scorer(tiny_classifier_dir):
    return load_scorer(Settings(model=str(tiny_classifier_dir({0: "negative", 1: "neutral", 2: "positive"}))), quantized=False)


def test_plain_and_json_lines(scorer):
    stdin = io.StringIO('Mooi initiatief van de gemeente op de Grote Markt\n\n{"text": "Great day in Groningen today, lovely market", "id": 3}\n{niet json}\n')
    stdout = io.StringIO()
    assert run(scorer, stdin, stdout, batch_size=2) == 3
    out = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert out[0]["lang"] == "nl" and out[0]["label"] in ("negative", "neutral", "positive")
    assert set(out[0]["probabilities"]) == {"negative", "neutral", "positive"}
    assert out[1] == {"label": None, "probabilities": None, "lang": "en"}  # not scored as Dutch
    assert out[2]["label"] is not None  # a line that only looks like JSON is text


def test_json_line_without_text_is_refused(scorer):
    with pytest.raises(BadLine, match="line 2"):
        run(scorer, io.StringIO('hallo\n{"tekst": "hoi"}\n'), io.StringIO())


def test_empty_text_is_neutral_without_asking_the_model(scorer):
    result, = scorer.score(["   "])
    assert result.label == "neutral" and result.flags == ["empty"]
