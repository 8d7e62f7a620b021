"""Words as search sees them, one definition for both databases.

A word is a maximal run of letters, digits and combining marks (Unicode
categories L*, N*, M*); everything else separates words. A word's term is
its NFKC form, case-folded, so "Straße", "STRASSE" and "ﬁle"/"file" match
alike in every script. The databases index `document(body)`, the terms
joined by spaces: PostgreSQL's parser and SQLite's unicode61 tokenizer then
see nothing but words and spaces, and whatever either still splits, it
splits the same way in the query, so each index returns a superset of the
true answer. `match` decides that answer in Python, identically on both,
and gives the ranges to highlight.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

# A longer term is indexed by its first MAX_INDEXED code points (PostgreSQL
# refuses lexemes over 2 KB); `match` still compares whole terms.
MAX_INDEXED = 100


@functools.cache
def _word_re() -> re.Pattern[str]:
    # str.isalnum covers L* and N*; combining marks are added from the
    # Unicode tables once (a fraction of a second, on first use).
    marks = []
    start = None
    for code in range(sys.maxunicode + 2):
        is_mark = code <= sys.maxunicode and unicodedata.category(chr(code))[0] == "M"
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            marks.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return re.compile(rf"(?:[^\W_]|[{''.join(marks)}])+")


@dataclass(frozen=True, slots=True)
class Word:
    term: str
    start: int  # code-point offsets in the text, half-open
    end: int


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def words(text: str) -> list[Word]:
    """The text's words in order, with their offsets; one run of word
    characters may give several terms when NFKC splits it (rare)."""
    if text.isascii():
        # The common case, five times faster: NFKC and case folding of ASCII
        # letters and digits is lower().
        return [
            Word(m.group().lower(), m.start(), m.end())
            for m in _ASCII_WORD.finditer(text)
        ]
    found = []
    for run in _word_re().finditer(text):
        folded = unicodedata.normalize("NFKC", run.group().casefold())
        if _word_re().fullmatch(folded):
            found.append(Word(folded, run.start(), run.end()))
            continue
        for piece in _word_re().findall(folded):
            found.append(Word(piece, run.start(), run.end()))
    return found


def document(text: str) -> str:
    """What the full-text indexes hold for a body: its terms, space-separated."""
    return " ".join(word.term[:MAX_INDEXED] for word in words(text))


@dataclass(frozen=True, slots=True)
class Query:
    """Sequences of terms that must each occur, as consecutive words."""

    sequences: tuple[tuple[str, ...], ...]

    def indexed(self) -> list[str]:
        """Each sequence as the index sees it: its terms, space-separated."""
        return [" ".join(t[:MAX_INDEXED] for t in seq) for seq in self.sequences]


def parse_query(text: str) -> Query:
    """Every bare word is required on its own; a double-quoted part is one
    phrase (an unclosed quote runs to the end). Duplicates count once."""
    sequences: list[tuple[str, ...]] = []
    for index, part in enumerate(text.split('"')):
        found = words(part)
        if index % 2:
            runs = [tuple(w.term for w in found)] if found else []
        else:
            # One run that NFKC split stays together (its pieces are adjacent).
            by_run: dict[int, list[str]] = {}
            for word in found:
                by_run.setdefault(word.start, []).append(word.term)
            runs = [tuple(terms) for terms in by_run.values()]
        sequences.extend(runs)
    return Query(tuple(dict.fromkeys(sequences)))


def match(query: Query, text: str) -> list[list[int]] | None:
    """The ranges of `text` that the query's sequences cover, ascending and
    merged, or None when some sequence does not occur."""
    found = words(text)
    terms = [w.term for w in found]
    spans: list[tuple[int, int]] = []
    for seq in query.sequences:
        size = len(seq)
        hits = [
            (found[i].start, found[i + size - 1].end)
            for i in range(len(terms) - size + 1)
            if tuple(terms[i : i + size]) == seq
        ]
        if not hits:
            return None
        spans.extend(hits)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
