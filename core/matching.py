"""Term matching for the watch filter and themes, tuned for Dutch word forms and compounds.

Text and terms are folded (case, diacritics, hashtag signs). A term matches

- as a word, with Dutch inflections: "container" in "containers", "kliko" in "kliko's", "bus" in
  "bussen", "bankje" in "bankjes";
- as the head (last part) of a compound, which says what the compound is: "container" in
  "afvalcontainer", "afval" in "restafval", "station" in "Hoofdstation". Not as its modifier (first
  part), which only qualifies another word: "brand" is not in "Brandstofprijzen", "station" not in
  "Stationsplein", "kamer" not in "Kamerleden". A term that should also match as a modifier says so
  with a trailing "*": "afval*" matches "afvalwijzer" and "afvalinzameling" too, and so does a modifier inside
  a longer compound: "parkeer*" in "bewonersparkeervergunning";
- as a whole word only, uninflected, when it is shorter than three letters ("ov" is not in "over" nor
  "oven") or written in capitals, which then must match in capitals too ("NAM" is the company, "nam" the
  verb), and not among words in capitals ("HIJ NAM ONTSLAG" is a shouted headline);
- as a phrase when it has several words ("blauwe zone", "Tweede Kamer"); its last word takes
  inflections ("losse tegels").

Inflections follow Dutch spelling: a doubled consonant ("bus" -> "bussen"), a long vowel written once
in an open syllable ("hypotheek" -> "hypotheken", "straat" -> "straten"), s and f voiced ("huis" ->
"huizen"), diminutives ("bankje", "woninkje"). A compound's modifier has at least three letters, so
"thuis" does not hold "huis" nor "rebus" "bus".

A term "A & B|C" counts only in a text that also mentions B or C (any term form): "versterking &
aardbeving|NAM" is the strengthening of houses, not of the police; "kamer & huur*|student*" a room, not
the Kamer in The Hague.

Words glued by a feed's markup ("PremiumWarmtenetGeruïneerde") are parted where three small letters
meet a capital and two small ones (terms are parted alike: "ProRail" matches "ProRail").

Exclusions are phrases whose words do not count as a mention: with "FC Groningen" excluded, "FC
Groningen verliest van Ajax" does not mention the city, "FC Groningen-fans in Paddepoel" still
mentions Paddepoel. Themes and the watch both have them. An exclusion may have a context too:
"container & schip|schepen|haven" leaves out the containers of a text about shipping, not of one about
waste. An exclusion only takes mentions away: blanking "ov" out of "ovkamer" does not make "kamer" a word.
"""
from __future__ import annotations

import os
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
# A compound's modifier (the part before a matched head) has at least this many letters.
_MIN_MODIFIER = 3
# A word glued to the next by a feed's markup: three small letters, then a capital and two small ones
# ("PremiumWarmtenet"); "OvJ", "iPhone" and "SodM" stay whole.
_GLUED = re.compile(r"(?<=[a-z]{3})(?=[A-Z][a-z]{2})")
_CONTEXT = "&"


def fold(text: str) -> str:
    """Lower-case, strip diacritics ('één' -> 'een'), unify whitespace; '#' and '@' become spaces."""
    return _fold(text).casefold()


def _fold(text: str) -> str:
    """`fold` without the lower-casing: for terms that must match in capitals."""
    if text.isascii():  # nothing to decompose: skips the per-character loop for most posts (ingest CPU)
        return _SPACES.sub(" ", text.replace("#", " ").replace("@", " ")).strip()
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("#", " ").replace("@", " ")
    return _SPACES.sub(" ", stripped).strip()


def _is_acronym(term: str) -> bool:
    letters = [ch for ch in term if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters) and " " not in term.strip()


def _respelled(word: str) -> list[str]:
    """The other spellings a word takes before an ending: a long vowel written once and a final s or f
    voiced before -en and -e ("straat" -> "strat", "huis" -> "huiz"), ng -> nk before -je ("woning" ->
    "wonink")."""
    last = word[-1:]
    if not last.isalpha() or last in _VOWELS:
        return []
    voiced = {"s": "z", "f": "v"}.get(last, last)
    stem = word[:-1]
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] in "aeou":
        stem = stem[:-1]
    forms = [stem + voiced] if stem + voiced != word else []
    if word.endswith("ng"):
        forms.append(word[:-1] + "k")
    return forms


def _inflected(word: str) -> str:
    """The word and its plural, diminutive and adjective forms, as a regular expression."""
    endings = list(_INFLECTIONS)
    last = word[-1:]
    if last.isalpha() and last not in _VOWELS:
        endings += [last + "en", last + "e"]  # bus -> bussen
    diminutive = word.endswith("ng")  # its respelling (woning -> wonink) takes -je, the others -en and -e
    forms = [f"{re.escape(form)}(?:{'je|jes' if diminutive and form.endswith('nk') else 'en|e'})"
             for form in _respelled(word)]
    alternatives = "|".join(sorted({re.escape(e) for e in endings}, key=len, reverse=True))
    return "(?:" + "|".join([*forms, f"{re.escape(word)}(?:{alternatives})?"]) + ")"


def _folded_term(term: str) -> tuple[str, bool, bool]:
    """(the term as it is matched, whether it is matched in capitals, whether it ends in "*")."""
    raw = _GLUED.sub(" ", term.strip())  # "ProRail" as the text is parted: "Pro Rail"
    if _is_acronym(raw):
        return _fold(raw), True, False
    return fold(raw.rstrip("*").strip().translate(_APOSTROPHES)), False, raw.endswith("*")


def _term_pattern(term: str) -> str | None:
    """The regular expression for one term on folded text (see the module docstring)."""
    folded, cased, prefix = _folded_term(term)
    if not folded:
        return None
    words = folded.split(" ")
    start, end = f"(?<![{_WORD}])", f"(?![{_WORD}])"
    short = len(folded) < 3  # "ov": not "ove" nor "oven"
    last = re.escape(words[-1]) if short else _inflected(words[-1])
    body = r"\s+".join([*(re.escape(w) for w in words[:-1]), last])
    whole_word_only = len(words) > 1 or short or cased
    # A word on its own, or the head of a compound whose modifier has _MIN_MODIFIER letters or more.
    head = f"(?:{start}|(?<=[{_WORD}]{{{_MIN_MODIFIER}}}))"
    pattern = f"{start}{body}{end}" if whole_word_only else f"{head}{body}{end}"
    if prefix:  # also as a compound's modifier: at the start of a word, or inside one after a modifier of its own
        pattern += "|" + (start if whole_word_only else head) + r"\s+".join(re.escape(w) for w in words)
    return pattern


def _needle(folded: str) -> str:
    """A piece of text every match of the term contains: a plain substring test rules most terms out
    before their regular expression runs (the longest of its words but the last, and the part the last
    word's spellings share)."""
    words = folded.split(" ")
    spellings = [words[-1], *_respelled(words[-1])] if len(folded) >= 3 else [words[-1]]
    shared = os.path.commonprefix(spellings)
    return max([*words[:-1], shared], key=len)


@lru_cache(maxsize=4096)
def _compiled(term: str) -> tuple[str, bool, re.Pattern] | None:
    """(needle, matched in capitals, pattern) of a plain term; None for an empty one."""
    pattern = _term_pattern(term)
    if pattern is None:
        return None
    folded, cased, _prefix = _folded_term(term)
    return _needle(folded), cased, re.compile(pattern)


class Text:
    """A text folded once for many matchers: lower-cased, and with its capitals kept for acronyms."""

    __slots__ = ("folded", "cased")

    def __init__(self, text: str):
        self.cased = _GLUED.sub(" ", _fold(text)).translate(_APOSTROPHES)  # "kliko’s" is "kliko's"
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


_LETTERS = re.compile(r"[A-Za-z]+")


def _shouted(haystack: str, begin: int, end: int) -> bool:
    """Whether an acronym's match stands among words in capitals ("KIJK OM JE HEEN", "HIJ NAM ONTSLAG"), where it
    may be an ordinary word: the up to three words either side of it are all in capitals, two at least, one of
    them of four letters or more (a list of acronyms, "NAM, IMG en NCG" or "NAM/IMG/NCG", is no shouting)."""
    around = _LETTERS.findall(haystack[max(0, begin - 60):begin])[-3:] + _LETTERS.findall(haystack[end:end + 60])[:3]
    return len(around) >= 2 and all(w.isupper() for w in around) and any(len(w) >= 4 for w in around)


def _found(pattern: re.Pattern, haystack: str, cased: bool) -> Iterable[re.Match]:
    """The pattern's matches that count: an acronym's not in a stretch of capitals."""
    return (m for m in pattern.finditer(haystack) if not (cased and _shouted(haystack, *m.span())))


def _parse(term: str) -> tuple[str, tuple[str, ...]]:
    """A term and the terms of its context ("A & B|C" -> ("A", ("B", "C"))); none for a plain term."""
    word, _, context = term.partition(_CONTEXT)
    return word.strip(), tuple(c.strip() for c in context.split("|") if c.strip())


class Matcher:
    """Matches any of `terms` in a text, none of whose words lie inside one of `exclude`."""

    def __init__(self, terms: Iterable[str], exclude: Iterable[str] = ()):
        self.terms = tuple(terms)
        parsed = [_parse(t) for t in self.terms if t and t.strip()]
        self._plain = [c for c in (_compiled(word) for word, context in parsed if not context) if c is not None]
        # Terms that count only next to one of their context's terms.
        self._in_context = [(matcher((word,)), matcher(context)) for word, context in parsed if context and word]
        exclude = tuple(exclude)
        self._exclude = matcher(exclude) if exclude else None

    def spans(self, text: Text) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where the terms occur: (spans in the folded text, spans of acronyms in the cased text). A term
        with a context counts where the text also mentions its context."""
        in_folded: list[tuple[int, int]] = []
        in_cased: list[tuple[int, int]] = []
        for needle, cased, pattern in self._plain:
            haystack = text.cased if cased else text.folded
            if needle in haystack:
                (in_cased if cased else in_folded).extend(m.span() for m in _found(pattern, haystack, cased))
        for word, context in self._in_context:
            found_folded, found_cased = word.spans(text)
            if (found_folded or found_cased) and context.matches(text):
                in_folded.extend(found_folded)
                in_cased.extend(found_cased)
        return in_folded, in_cased

    def matches(self, text: "str | Text") -> bool:
        """Whether `text` (a string, or a Text folded once for several matchers) mentions a term."""
        if isinstance(text, str):
            text = Text(text)
        # Exclusions only take mentions away: most texts mention none of a theme's terms and are done
        # before its exclusions are looked for (ingest CPU).
        if not self._mentions(text):
            return False
        return self._exclude is None or self._mentions(text.without(self._exclude))

    def _mentions(self, text: Text) -> bool:
        for needle, cased, pattern in self._plain:
            haystack = text.cased if cased else text.folded
            if needle in haystack and any(_found(pattern, haystack, cased)):
                return True
        return any(word.matches(text) and context.matches(text) for word, context in self._in_context)

    def matching_terms(self, text: str) -> list[str]:
        folded = Text(text)
        if self._exclude is not None:
            folded = folded.without(self._exclude)
        return [t for t in self.terms if matcher((t,)).matches(folded)]


@lru_cache(maxsize=1024)
def matcher(terms: tuple[str, ...], exclude: tuple[str, ...] = ()) -> Matcher:
    """A Matcher, built once for the same terms and exclusions (a Matcher does not change)."""
    return Matcher(terms, exclude)


def is_relevant(text: str, terms: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """The watch filter: the text mentions the city outside the excluded phrases."""
    return matcher(tuple(terms), tuple(exclude)).matches(text)
