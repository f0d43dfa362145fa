"""Sections a question names by their heading.

"重庆信息通信业在筑牢行业安全底线方面，取得了哪些进展？" is answered by the
whole section "筑牢底线,行业安全屏障持续巩固" (its four paragraph leads), not by
the few chunks of it retrieval ranks highest. Reports word their headings the
way staff later ask, so a heading sharing enough of the question's character
bigrams names the section; places, years and figures are left out of the
comparison (every heading of a report on Sichuan says "四川")."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from ..textnorm import normalize

# (bigrams shared, rarity-weighted share of the heading's bigrams) a question
# must reach to name a section: a longer run of the heading, or most of a short
# one ("2025年数字四川发展展望" for "展望2025年，数字四川…"). Seed aspect-list
# questions (eval/): the sections they name reach (3, 0.28) and (2, 0.46); the
# closest wrong ones (2, 0.32) once places and years are left out.
NAMED_BY = ((3, 0.25), (2, 0.4))
# A section of the document the question names by its title ("…“十四五”综述里")
# ranks above another document's: its title's share of shared bigrams, this much.
TITLE_WEIGHT = 0.5
# Share of a table caption's bigrams a question must contain to name the table
# (seed source questions: 0.45 and 0.6; "表1" names its table outright).
MIN_CAPTION_SHARE = 0.4
# Numbering and markup before a heading's words: "（一）", "三、", "一是", "##", "**".
HEADING_NUMBER_RE = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+(?:是|[、.．])|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、．]|#+|\*\*)\s*")
_NOT_WORDS_RE = re.compile(r"[\W\d_a-zA-Z]+|年")


@dataclass(frozen=True)
class Section:
    doc_id: str
    path: tuple[str, ...]  # the heading trail, the section's own heading last
    chunks: tuple[int, ...]  # chunk numbers, in document order
    share: float  # of the heading's bigrams found in the question, weighted by rarity

    @property
    def heading(self) -> str:
        return heading_text(self.path[-1])


@dataclass(frozen=True)
class Table:
    doc_id: str
    caption: str  # "表2 2024年城市数据要素市场发展100强四川入围情况"
    rows: tuple[int, ...]  # chunk numbers of its rows, in order
    share: float


def heading_text(heading: str) -> str:
    """A heading without its numbering or markup."""
    return HEADING_NUMBER_RE.sub("", heading).replace("*", "").strip()


class Sections:
    """Every section of an index's chunks (each prefix of a chunk's heading trail), and its tables."""

    def __init__(self, chunks):
        self.chunks = chunks

    @cached_property
    def _members(self) -> dict[tuple[str, tuple[str, ...]], list[int]]:
        members: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for i, chunk in enumerate(self.chunks):
            for depth in range(1, len(chunk.section) + 1):
                members.setdefault((chunk.doc_id, tuple(chunk.section[:depth])), []).append(i)
        return members

    @cached_property
    def _rarity(self) -> dict[str, float]:
        """Bigram -> idf over the distinct headings: "数字", "发展" and "建设"
        head half the sections of a report on digital development and name none."""
        headings = {path[-1] for _, path in self._members}
        df: dict[str, int] = {}
        for heading in headings:
            for b in _bigrams(heading_text(heading)):
                df[b] = df.get(b, 0) + 1
        return {b: math.log((1 + len(headings)) / (1 + n)) + 1 for b, n in df.items()}

    @cached_property
    def _tables(self) -> dict[tuple[str, str], list[int]]:
        """(document, caption line) -> the chunk numbers of the table's rows."""
        tables: dict[tuple[str, str], list[int]] = {}
        for i, chunk in enumerate(self.chunks):
            if chunk.kind == "table_row" and chunk.context:
                tables.setdefault((chunk.doc_id, chunk.context.split("\n", 1)[0].strip()), []).append(i)
        return tables

    def tables_named(self, question: str, ignore=()) -> list[Table]:
        """Tables whose caption the question names ("表1", or by its words), best first."""
        wanted = _bigrams(question, ignore)
        number = re.search(r"表\s*(\d+)", normalize(question))
        found = []
        for (doc_id, caption), rows in self._tables.items():
            own = _bigrams(caption, ignore)
            share = len(own & wanted) / len(own) if own else 0.0
            if number and re.match(rf"表\s*{number.group(1)}(?!\d)", normalize(caption)):
                share += 1.0  # "表1" names it outright
            if share >= MIN_CAPTION_SHARE:
                found.append(Table(doc_id, caption, tuple(rows), share))
        return sorted(found, key=lambda t: -t.share)

    def named(self, question: str, ignore=()) -> list[Section]:
        """Sections whose heading the question names, best first; `ignore`:
        words left out of the comparison (the question's places)."""
        wanted = _bigrams(question, ignore)
        rarity = self._rarity
        found = []
        for (doc_id, path), members in self._members.items():
            own = _bigrams(heading_text(path[-1]), ignore)
            shared = own & wanted
            if not shared:
                continue
            share = sum(rarity.get(b, 1.0) for b in shared) / sum(rarity.get(b, 1.0) for b in own)
            if any(len(shared) >= n and share >= least for n, least in NAMED_BY):
                found.append(Section(doc_id, path, tuple(members), share))
        titles = {s.doc_id: _title_share(self.chunks[s.chunks[0]].title, wanted) for s in found}
        # More of the heading (and of the title) named first; then the more specific section.
        return sorted(found, key=lambda s: (-(s.share + TITLE_WEIGHT * titles[s.doc_id]), -len(s.path)))


def _title_share(title: str, wanted: set[str]) -> float:
    own = _bigrams(title)
    return len(own & wanted) / len(own) if own else 0.0


def _bigrams(text: str, ignore=()) -> set[str]:
    text = normalize(text)
    for word in ignore:
        text = text.replace(normalize(word), " ")
    pieces = _NOT_WORDS_RE.split(text)
    return {p[i:i + 2] for p in pieces for i in range(len(p) - 1)}


__all__ = ["Section", "Sections", "Table", "heading_text"]
