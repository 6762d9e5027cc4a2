import pytest

from core.matching import Matcher, fold, is_relevant


def test_fold_case_diacritics_and_hashtags():
    assert fold("  Één   Café\n#Groningen @Gemeente ") == "een cafe groningen gemeente"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("De afvalcontainer is weer vol", True),      # compound, term first
        ("Restafval blijft liggen", True),            # compound, term last
        ("Twee containers in de straat", True),       # plural
        ("AFVAL!", True),
        ("Er is een kliko-probleem", True),
        ("Het afvoeren van water", False),
        ("Niets aan de hand", False),
    ],
)
def test_compound_and_word_forms(text, expected):
    assert Matcher(["afval", "container", "kliko"]).matches(text) is expected


def test_short_terms_match_whole_words_only():
    matcher = Matcher(["ov", "NAM"])
    assert matcher.matches("Het OV is vandaag gratis")
    assert matcher.matches("De NAM betaalt")
    assert not matcher.matches("Ik ga over de brug naar Namen")


def test_phrases_and_matching_terms():
    matcher = Matcher(["gemeente Groningen", "Grote Markt"])
    assert matcher.matches("De   gemeente\nGroningen zegt")
    assert matcher.matching_terms("Op de grote markt") == ["Grote Markt"]


def test_relevance_with_exclusions():
    assert is_relevant("Brand in Groningen-Zuid", ["Groningen"])
    assert is_relevant("Nieuws uit #Groningen", ["#groningen"])
    assert not is_relevant("Brand in Assen", ["Groningen"])
    assert not is_relevant("FC Groningen wint", ["Groningen"], exclude=["FC Groningen"])
