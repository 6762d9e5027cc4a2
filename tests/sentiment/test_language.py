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


def test_a_platform_tag_decides_only_where_the_text_does_not(gate):
    # a Dutch toot its app tagged English stays Dutch; a reply too short to tell takes the tag
    assert gate.detect("Kliko al drie weken niet geleegd in Selwerd, belachelijk", "en").lang == "nl"
    assert gate.detect("ok 👍", "en").lang == "en" and not gate.detect("ok 👍", "en").dutch
    assert gate.detect("ok 👍", "nl-BE").dutch


# Written for this test (not from any corpus): everyday posts in Gronings and in Frisian.
GRONINGS = [
    "Moi! Wat is t mooi weer vandoage in Stad.",
    "k Heb gusteren op Grote Mark west, t was hail drok.",
    "De gemeente mout wat doun aan aal dat vuilnis op stroat.",
    "Wie goan zotterdag noar t Noorderplantsoen, kom ook!",
    "t Is nait te gleuven, weer gain bus noar Hoogezaand.",
    "Mien fiets is aal weer jat bie t staandbijld.",
    "Hou gaait t mit die? Ik heb t drok mit waark.",
    "Dat kin ja nait, doe mos eerst moi zeggen.",
]
FRISIAN = [
    "Goeie moarn! It waar is hjoed tige moai yn Ljouwert.",
    "Wy geane sneon nei de merke yn 'e stêd.",
    "De gemeente moat wat dwaan oan al dat jiskefet op strjitte.",
    "Ik haw juster in nije fyts kocht, hy is hiel fluch.",
    "Hoe giet it mei dy? Ik bin drok mei myn wurk.",
    "It is net te leauwen, alwer gjin bus nei Snits.",
    "Der wiene in soad minsken by it konsert fan jûn.",
    "Tige tank foar jo help, dat wurdearje ik tige.",
]


def test_gronings_and_frisian_are_scored_as_dutch_where_the_detector_can(gate):
    """lingua knows neither language. Measured: all 8 Gronings sentences come out Dutch; 6 of the 8
    Frisian ones Dutch, 2 as another language (Polish, German). Decision (docs/language.md): both are
    scored as Dutch; the few Frisian posts called another language are counted apart."""
    assert all(gate.detect(text).dutch for text in GRONINGS)
    frisian = [gate.detect(text) for text in FRISIAN]
    assert sum(d.dutch for d in frisian) == 6
    assert sorted(d.lang for d in frisian if not d.dutch) == ["de", "pl"]
