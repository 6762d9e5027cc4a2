"""Term matching for the watch filter and themes, tuned for Dutch word forms and compounds.

Text and terms are folded (case, diacritics, hashtag signs). A term matches

- as a word, with Dutch inflections: "container" in "containers", "kliko" in "kliko's", "bus" in
  "bussen", "bankje" in "bankjes";
- as the head (last part) of a compound, which says what the compound is: "container" in
  "afvalcontainer", "afval" in "restafval", "station" in "Hoofdstation". Not as its modifier (first
  part), which only qualifies another word: "brand" is not in "Brandstofprijzen", "station" not in
  "Stationsplein", "kamer" not in "Kamerleden". A term that should also match as a modifier says so
  with a trailing "*": "afval*" matches "afvalwijzer" and "afvalinzameling" too;
- as a whole word only when it is shorter than three letters ("ov" is not in "over") or written in
  capitals, which then must match in capitals too ("NAM" is the company, "nam" the verb);
- as a phrase when it has several words ("blauwe zone", "Tweede Kamer"); its last word takes
  inflections ("losse tegels").

Exclusions are phrases whose words do not count as a mention: with "FC Groningen" excluded, "FC
Groningen verliest van Ajax" does not mention the city, "FC Groningen-fans in Paddepoel" still
mentions Paddepoel. Themes and the watch both have them.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

_WORD = "0-9a-zA-Z"
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
# Endings of Dutch plurals, diminutives and the adjective -e; a doubled last consonant is added per
# term ("bus" -> "bussen").
_INFLECTIONS = ("s", "'s", "e", "en", "n", "es", "je", "jes", "tje", "tjes", "pje", "pjes", "etje", "etjes")
_VOWELS = set("aeiou")


def fold(text: str) -> str:
    """Lower-case, strip diacritics ('één' -> 'een'), unify whitespace; '#' and '@' become spaces."""
    return _fold(text).casefold()


def _fold(text: str) -> str:
    """`fold` without the lower-casing: for terms that must match in capitals."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("#", " ").replace("@", " ")
    return _SPACES.sub(" ", stripped).strip()


def _is_acronym(term: str) -> bool:
    letters = [ch for ch in term if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters) and " " not in term.strip()


def _inflected(word: str) -> str:
    endings = list(_INFLECTIONS)
    if word and word[-1] not in _VOWELS and word[-1].isalpha():
        endings += [word[-1] + "en", word[-1] + "e"]
    alternatives = "|".join(sorted({re.escape(e) for e in endings}, key=len, reverse=True))
    return f"{re.escape(word)}(?:{alternatives})?"


def _term_pattern(term: str) -> str | None:
    """The regular expression for one term on folded text (see the module docstring)."""
    raw = term.strip()
    prefix = raw.endswith("*")
    folded = _fold(raw) if _is_acronym(raw) else fold(raw.rstrip("*").strip().translate(_APOSTROPHES))
    if not folded:
        return None
    words = folded.split(" ")
    start, end = f"(?<![{_WORD}])", f"(?![{_WORD}])"
    body = r"\s+".join([*(re.escape(w) for w in words[:-1]), _inflected(words[-1])])
    whole_word_only = len(words) > 1 or len(folded) < 3 or _is_acronym(raw)
    pattern = f"{start}{body}{end}" if whole_word_only else f"{body}{end}"
    if prefix:  # also at the start of a word: the term as a compound's modifier
        pattern += "|" + start + r"\s+".join(re.escape(w) for w in words)
    return pattern


@lru_cache(maxsize=512)
def _compile(terms: tuple[str, ...]) -> re.Pattern | None:
    patterns = [p for p in (_term_pattern(t) for t in terms) if p]
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _split(terms: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(terms matched on lower-cased text, acronyms matched in capitals)."""
    terms = tuple(t for t in terms if t and t.strip())
    return tuple(t for t in terms if not _is_acronym(t)), tuple(t for t in terms if _is_acronym(t))


class Text:
    """A text folded once for many matchers: lower-cased, and with its capitals kept for acronyms."""

    __slots__ = ("folded", "cased")

    def __init__(self, text: str):
        self.cased = _fold(text).translate(_APOSTROPHES)  # "kliko’s" is "kliko's"
        self.folded = self.cased.casefold()

    def without(self, exclusions: "Matcher") -> "Text":
        """The text with every exclusion phrase blanked out, in both forms while they align (casefold
        keeps the length but for rare letters such as "ß")."""
        in_folded, in_cased = exclusions.spans(self)
        if not (in_folded or in_cased):
            return self
        if len(self.folded) == len(self.cased):
            in_folded = in_cased = in_folded + in_cased
        result = Text.__new__(Text)
        result.folded, result.cased = _blank(self.folded, in_folded), _blank(self.cased, in_cased)
        return result


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for begin, finish in spans:
        chars[begin:finish] = " " * (finish - begin)
    return "".join(chars)


class Matcher:
    """Matches any of `terms` in a text, none of whose words lie inside one of `exclude`."""

    def __init__(self, terms: Iterable[str], exclude: Iterable[str] = ()):
        self.terms = tuple(terms)
        words, acronyms = _split(self.terms)
        self._pattern = _compile(words)
        self._acronyms = _compile(acronyms)
        self._exclude = Matcher(exclude) if exclude else None

    def spans(self, text: Text) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where the terms occur: (spans in the folded text, spans of acronyms in the cased text)."""
        def find(pattern: re.Pattern | None, haystack: str) -> list[tuple[int, int]]:
            return [m.span() for m in pattern.finditer(haystack)] if pattern is not None else []

        return find(self._pattern, text.folded), find(self._acronyms, text.cased)

    def matches(self, text: "str | Text") -> bool:
        """Whether `text` (a string, or a Text folded once for several matchers) mentions a term."""
        if isinstance(text, str):
            text = Text(text)
        if self._exclude is not None:
            text = text.without(self._exclude)
        return any(
            pattern.search(haystack) is not None
            for pattern, haystack in ((self._pattern, text.folded), (self._acronyms, text.cased))
            if pattern is not None
        )

    def matching_terms(self, text: str) -> list[str]:
        folded = Text(text)
        if self._exclude is not None:
            folded = folded.without(self._exclude)
        return [t for t in self.terms if Matcher([t]).matches(folded)]


def is_relevant(text: str, terms: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """The watch filter: the text mentions the city outside the excluded phrases."""
    return Matcher(terms, exclude).matches(text)
