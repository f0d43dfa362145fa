"""Document structure from cleaned text: title, date/year, headings, tables.

Headings come in many dress codes in Chinese reports: Markdown `#`, numbering
(一、 / （一） / 1. / （1）), enumerations (一是), bold lead sentences, and short
title lines in plain web text. Each gets a rank; a heading closes every open
heading of the same or a deeper rank, which yields the section path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..textnorm import CJK

SEP = " › "

# Group 2 is greedy: the closing "#"s are stripped by `_clean_heading`. The lazy
# `(.+?)\s*#*$` it replaces rescanned the tail at every character, quadratic on a
# long heading line with a run of spaces or "#" inside (20 s for 20,000 spaces).
_MD_RE = re.compile(r"^(#{1,6})\s+(.+)$")
# (pattern, rank): outer numbering styles get smaller ranks.
_NUMBERING = [
    (re.compile(r"^第[一二三四五六七八九十百]+[章节部分篇]"), 19),
    (re.compile(r"^[一二三四五六七八九十]+、"), 20),
    (re.compile(r"^[（(][一二三四五六七八九十]+[)）]"), 21),
    (re.compile(r"^\d{1,2}[.、．](?!\d)"), 22),
    (re.compile(r"^[（(]\d{1,2}[)）]"), 23),
    (re.compile(r"^[一二三四五六七八九十]+是"), 24),
]
BOLD_RANK = 25
TITLE_LINE_RANK = 10
# Titles of plain documents span 1-2 lines in the seeds. Without a cap a file of
# short unpunctuated lines (a list, a poem, noise) became one huge title: its
# body vanished from the chunks and every chunk header repeated it.
TITLE_MAX_LINES = 3
_BOLD_LEAD_RE = re.compile(r"^\*\*(.{2,40}?)\*\*")
_TERMINAL = set("。！？!?；;：:…，,、")
_META_RE = re.compile(
    r"^(?:发布时间|發布時間|来源|來源|信息来源|作者|记者|記者|时间|日期)\s*[:：]|"
    r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|^——|^[■□●]"
)
_CAPTION_RE = re.compile(r"^(?:表|Table)\s*\d+", re.I)

_DATE_RES = [
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
]
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
_CN_DATE_RE = re.compile(r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月")
# "——2024年11月27日在市六届人大常委会第十二次会议上": the day a report was
# given; its "今年" is that year, whatever date a website reposted it on.
_DELIVERED_RE = re.compile(r"[—–-]{1,2}\s*((?:19|20)\d{2})年\d{1,2}月\d{1,2}日在")
_TITLE_YEAR_RE = re.compile(r"[(（]((?:19|20)\d{2})年?[)）]|((?:19|20)\d{2})年")


@dataclass
class Heading:
    text: str
    rank: int


@dataclass
class Block:
    """A span of body text (a line or a lead-sentence paragraph) under a section."""

    start: int
    end: int
    section: tuple[str, ...]
    kind: str = "text"  # "text" or "table_row"
    context: str = ""  # table caption + header row for "table_row"


@dataclass
class Structure:
    title: str
    date: str | None
    year: int | None
    blocks: list[Block] = field(default_factory=list)


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line), line
        pos += len(line) + 1


def parse_date(text: str) -> str | None:
    """First publication date stated near the top: ISO `YYYY-MM-DD` or `YYYY-MM`."""
    head = text[:600]
    for pattern in _DATE_RES:
        m = pattern.search(head)
        if m:
            y, mo, d = m.groups()
            return f"{y}-{int(mo):02d}-{int(d):02d}"
    m = _CN_DATE_RE.search(head)
    if m:
        year = "".join(_CN_DIGITS[c] for c in m.group(1))
        return f"{year}-{_cn_month(m.group(2)):02d}"
    return None


def _cn_month(s: str) -> int:
    """一..九, 十, 十一, 十二 -> 1..12."""
    if "十" not in s:
        return int(_CN_DIGITS[s])
    return 10 + (int(_CN_DIGITS[s[-1]]) if s[-1] != "十" else 0)


def parse_year(title: str, date: str | None, text: str = "") -> int | None:
    """The year a report is about: `(2024)` in its title, else the year it was
    delivered (a speech or report line near the top), else its publication year."""
    m = _TITLE_YEAR_RE.search(title)
    if m:
        return int(m.group(1) or m.group(2))
    m = _DELIVERED_RE.search(text[:1000])
    if m:
        return int(m.group(1))
    return int(date[:4]) if date else None


def _clean_heading(text: str) -> str:
    return text.replace("**", "").strip(" #")


def _numbering_rank(text: str) -> int | None:
    for pattern, rank in _NUMBERING:
        if pattern.match(text):
            return rank
    return None


def _is_open(line: str) -> bool:
    return bool(line) and line[-1] not in _TERMINAL


def parse_structure(text: str) -> Structure:
    lines = [(s, e, line.strip()) for s, e, line in _lines(text)]
    nonempty = [i for i, (_, _, line) in enumerate(lines) if line]
    has_md = any(_MD_RE.match(lines[i][2]) for i in nonempty)

    title_idx = _title_indexes(lines, nonempty, has_md)
    title = "".join(_clean_heading(lines[i][2]) for i in title_idx)
    title_lines = set(title_idx)
    date = parse_date(text)
    structure = Structure(title=title, date=date, year=parse_year(title, date, text))

    md_rank: dict[int, int] = {}  # '#' count -> rank, by order of first appearance
    if has_md and title_idx:
        md_rank[len(_MD_RE.match(lines[title_idx[0]][2]).group(1))] = 0
    sections = _Sections()

    k = 0
    while k < len(nonempty):
        i = nonempty[k]
        start, end, line = lines[i]
        if i in title_lines:
            k += 1
            continue
        if "\t" in line:
            k = _table(lines, nonempty, k, structure, sections.path())
            continue
        md = _MD_RE.match(line)
        if md:
            _markdown_heading(md, title, md_rank, sections)
        elif not _plain_heading(lines, nonempty, k, title, has_md, sections):
            structure.blocks.append(Block(start, end, sections.path()))
        k += 1
    return structure


def _title_indexes(lines, nonempty, has_md: bool) -> list[int]:
    """The title's lines: the first Markdown heading, or the leading short open
    lines of a plain document."""
    title_idx: list[int] = []
    for i in nonempty:
        line = lines[i][2]
        if has_md:
            if _MD_RE.match(line):
                return [i]
            continue
        if _META_RE.match(line) or len(line) > 80 or not _is_open(line):
            break
        if title_idx and (i != title_idx[-1] + 1):
            break  # a blank line ends the title block
        if len(title_idx) == TITLE_MAX_LINES:
            break  # the rest of a run of short lines is body text, not title
        title_idx.append(i)
    return title_idx


class _Sections:
    """The open headings, outermost first: a heading closes every open heading
    of the same or a deeper rank."""

    def __init__(self) -> None:
        self.stack: list[Heading] = []

    def push(self, text: str, rank: int) -> None:
        while self.stack and self.stack[-1].rank >= rank:
            self.stack.pop()
        self.stack.append(Heading(text, rank))

    def clear(self) -> None:
        self.stack.clear()

    def path(self) -> tuple[str, ...]:
        return tuple(h.text for h in self.stack)


def _markdown_heading(md: re.Match, title: str, md_rank: dict[int, int], sections: _Sections) -> None:
    """A `#` heading: numbering in its text ranks it, else its level (ranked by
    first appearance in `md_rank`). The title repeated closes every section."""
    heading = _clean_heading(md.group(2))
    if heading == title:
        sections.clear()
        return
    rank = _numbering_rank(heading)
    if rank is None:
        rank = md_rank.setdefault(len(md.group(1)), len(md_rank))
    sections.push(heading, rank)


def _plain_heading(lines, nonempty, k, title: str, has_md: bool, sections: _Sections) -> bool:
    """Open the heading the line at nonempty[k] states, if any. True when the
    line is a heading only; False when it is body text, including a paragraph
    led by its heading (that heading is opened, the paragraph stays body)."""
    line = lines[nonempty[k]][2]
    rank = _numbering_rank(line)
    bold = _BOLD_LEAD_RE.match(line)
    if rank is not None and len(line) <= 40 and _is_open(line):
        sections.push(_clean_heading(line), rank)  # a numbered heading on its own line
        return True
    if rank is not None or bold:
        # A paragraph led by its heading: "(一)加强统筹谋划。构建……" / "**五是…**。…"
        lead = bold.group(1) if bold else re.split(r"[。！？!?；;]", line, maxsplit=1)[0]
        if 2 <= len(lead) <= 50:
            if bold:
                rank = _numbering_rank(lead) or BOLD_RANK
            sections.push(_clean_heading(lead), rank)
        return False
    if not has_md and _is_title_line(lines, nonempty, k):
        if line == title:
            sections.clear()
        else:
            sections.push(line, TITLE_LINE_RANK)
        return True
    return False


def _is_title_line(lines, nonempty, k) -> bool:
    """A short line without closing punctuation followed by a real paragraph.
    Not a line after two blank lines: cleaning leaves those where an image stood,
    and the line under an image is its caption."""
    line = lines[nonempty[k]][2]
    if k > 0 and nonempty[k] - nonempty[k - 1] > 2:
        return False
    if len(line) > 30 or not _is_open(line) or _META_RE.match(line) or _CAPTION_RE.match(line):
        return False
    if not re.search(f"[{CJK}]", line):
        return False
    if k + 1 >= len(nonempty):
        return False
    following = lines[nonempty[k + 1]][2]
    if line == following:  # a title repeated in the page body
        return True
    return len(following) >= 40 or (len(following) >= 15 and following[-1] in "。！？!?")


def _table(lines, nonempty, k, structure: Structure, section) -> int:
    """Consume a tab-separated table starting at nonempty[k]; emit one block per
    data row whose context repeats the caption and header row. Returns next k."""
    i = nonempty[k]
    caption = ""
    caption_block = None
    if k > 0:
        prev = lines[nonempty[k - 1]][2]
        if _CAPTION_RE.match(prev):
            caption = prev
            # The caption was emitted as body text of the section; drop that block.
            if structure.blocks and structure.blocks[-1].start == lines[nonempty[k - 1]][0]:
                caption_block = structure.blocks.pop()
    header = lines[i][2]
    context = f"{caption}\n{header}" if caption else header
    n_blocks = len(structure.blocks)
    k += 1
    while k < len(nonempty) and "\t" in lines[nonempty[k]][2]:
        start, end, row = lines[nonempty[k]]
        if row != header:  # headers repeat after page breaks
            structure.blocks.append(Block(start, end, section, "table_row", context))
        k += 1
    if len(structure.blocks) == n_blocks:
        # No data row: a lone line with a tab in it is text, not a table. Keep it
        # (and its caption) as body text; it used to vanish, numbers and all.
        if caption_block is not None:
            structure.blocks.append(caption_block)
        structure.blocks.append(Block(lines[i][0], lines[i][1], section))
    return k
