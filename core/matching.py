"""Term matching for the watch filter and themes, tuned for Dutch word forms and compounds.

Text and terms are folded (case, diacritics, hashtag signs). A term of four letters or more matches at
the start of a word ("afvalcontainer", "containers") or at its end ("restafval"); shorter terms match
whole words only, so "ov" does not fire inside "over". Multi-word terms match as phrases.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

_WORD = "0-9a-z"
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics ('één' -> 'een'), unify whitespace; '#' and '@' become spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.casefold().replace("#", " ").replace("@", " ")
    return _SPACES.sub(" ", stripped).strip()


def _term_pattern(term: str) -> str | None:
    folded = fold(term)
    if not folded:
        return None
    escaped = re.escape(folded).replace(r"\ ", r"\s+")
    start, end = f"(?<![{_WORD}])", f"(?![{_WORD}])"
    if len(folded) < 4:
        return f"{start}{escaped}{end}"
    return f"{start}{escaped}|{escaped}{end}"


@lru_cache(maxsize=256)
def _compile(terms: tuple[str, ...]) -> re.Pattern | None:
    patterns = [p for p in (_term_pattern(t) for t in terms) if p]
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


class Matcher:
    """Matches any of `terms` in a text; `matching_terms` tells which ones."""

    def __init__(self, terms: Iterable[str]):
        self.terms = tuple(terms)
        self._pattern = _compile(self.terms)

    def matches(self, text: str, *, folded: bool = False) -> bool:
        if self._pattern is None:
            return False
        return self._pattern.search(text if folded else fold(text)) is not None

    def matching_terms(self, text: str) -> list[str]:
        folded_text = fold(text)
        return [t for t in self.terms if (p := _compile((t,))) is not None and p.search(folded_text)]


def is_relevant(text: str, terms: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """The watch filter: the text mentions the city and none of the exclusions."""
    folded = fold(text)
    if not Matcher(terms).matches(folded, folded=True):
        return False
    return not Matcher(exclude).matches(folded, folded=True)
