import pytest

from sentiment.language import LanguageGate


@pytest.fixture(scope="module")
def gate():
    return LanguageGate()


@pytest.mark.parametrize("text", [
    "Wat een chaos weer bij het station in Groningen",
    "Kliko al drie weken niet geleegd in Selwerd, belachelijk",
    "Mooi initiatief van de gemeente op de Grote Markt",
    "Het stadsbestuur van Gent investeert in fietspaden",  # Flemish
])
def test_dutch_is_dutch(gate, text):
    assert gate.detect(text).lang == "nl" and gate.detect(text).dutch


@pytest.mark.parametrize("text, lang", [
    ("Great day in Groningen today, the market was lovely", "en"),
    ("Die Stadt hat heute den Markt wieder geöffnet", "de"),
    ("La ville a ouvert un nouveau parc près de la gare", "fr"),
])
def test_other_languages_are_not_dutch(gate, text, lang):
    detected = gate.detect(text)
    assert (detected.lang, detected.dutch, detected.certain) == (lang, False, True)


@pytest.mark.parametrize("text", ["ok", "😡😡", "Top!"])
def test_too_short_to_tell_is_scored_but_uncertain(gate, text):
    detected = gate.detect(text)
    assert detected.dutch and (detected.lang in (None, "nl"))
