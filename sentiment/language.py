"""Language first: only Dutch (and Flemish) text goes to a Dutch sentiment model.

lingua runs offline. We restrict it to the languages a Dutch city's feeds actually carry: that makes
it fast (~0.5 ms a text) and more accurate on short posts than choosing among 75 languages.

Short posts are hard to place ("ok", "Top!"). A text counts as another language only when that
language wins clearly (by `margin` over Dutch) on at least `min_words` words; otherwise it is Dutch,
or "uncertain" when Dutch does not win either. Uncertain texts are scored and flagged, because the
posts come from Dutch sources and an emoji or a one-word reply is more likely Dutch than not, unless
the platform tagged the post with another language: a tag is only a hint (apps tag by the phone's
setting, so a Dutch toot may say `en`) and decides only where the text does not.

Flemish is Dutch. Gronings and Frisian are not among lingua's languages; measured on sentences of
each (tests/sentiment/test_language.py), the gate calls most of them Dutch or uncertain, so they are
scored as Dutch (the model reads them as Dutch with odd spelling), and a few short Frisian ones come
out as another language. docs/language.md has the figures and the reasoning.

Cost: the gate reads a text's first PREFIX_CHARS characters (cut at a word boundary), which tell
the language of a post or an article as well as the whole does and keep a long article as cheap as
a tweet; `detect_many` hands a batch to lingua's parallel detector in one call. Measured share of
the scoring time: benchmarks/sentiment_throughput.py ("gate share").
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

DUTCH = "nl"
PREFIX_CHARS = 300
LANGUAGES = ("DUTCH", "ENGLISH", "GERMAN", "FRENCH", "SPANISH", "ITALIAN", "PORTUGUESE", "TURKISH", "ARABIC", "POLISH")


@dataclass(frozen=True)
class Detected:
    lang: str | None  # ISO 639-1, lower case; None when no language wins
    dutch: bool  # to be scored as Dutch
    certain: bool


@lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...]):
    """Built once per process: loading lingua's models takes a few seconds and ~100 MB."""
    from lingua import Language, LanguageDetectorBuilder

    chosen = [getattr(Language, name) for name in languages]
    return LanguageDetectorBuilder.from_languages(*chosen).with_preloaded_language_models().build()


class LanguageGate:
    def __init__(self, languages: tuple[str, ...] = LANGUAGES, margin: float = 0.05, min_words: int = 3):
        self.languages = languages
        self.margin = margin
        self.min_words = min_words

    @property
    def detector(self):
        return _detector(self.languages)

    def detect(self, text: str, hint: str | None = None) -> Detected:
        """The text's language; `hint` (a platform's tag) decides only where the text is uncertain."""
        return self.detect_many([text], [hint])[0]

    def detect_many(self, texts: list[str], hints: list[str | None] | None = None) -> list[Detected]:
        """detect() for a batch: lingua reads the texts' prefixes in parallel, in one call."""
        prefixes = [prefix(t) for t in texts]
        values = self.detector.compute_language_confidence_values_in_parallel(prefixes)
        results = []
        for text, found, hint in zip(prefixes, values, hints or [None] * len(texts)):
            detected = self._decide(text, found)
            hint = (hint or "").lower()[:2]
            results.append(detected if detected.certain or not hint or hint == DUTCH else Detected(hint, False, False))
        return results

    def _decide(self, text: str, values) -> Detected:
        if not values or values[0].value == 0.0:
            return Detected(None, True, False)
        top = values[0]
        top_lang = top.language.iso_code_639_1.name.lower()
        if top_lang == DUTCH:
            return Detected(DUTCH, True, True)
        dutch = next((v.value for v in values if v.language.iso_code_639_1.name.lower() == DUTCH), 0.0)
        if top.value - dutch >= self.margin and len(text.split()) >= self.min_words:
            return Detected(top_lang, False, True)
        return Detected(None, True, False)


def prefix(text: str, limit: int = PREFIX_CHARS) -> str:
    """The first `limit` characters of a text, not cutting a word in two."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut
