"""A section's own outline as the answer to an aspect-list question.

"取得了哪些成效 / 从哪几个方面 / 主要做了哪些事" about a section the question
names (index/sections.py) is answered by that section's parts, as the report
states them: its sub-section headings ("（一）数字技术创新取得新突破"…), or, in a
section without sub-sections, the lead sentence opening each paragraph
("算力网络布局不断优化。…"). Every point is copied from the document and cited
to the chunk it opens; no model writes them. Retrieval ranks a few chunks of
such a section high, so point-picking over the top passages (lists.py) names
one or two of the parts; the outline names all of them."""

from __future__ import annotations

import re

from ..index.sections import Section, heading_text
from .base import Draft
from .lists import paragraph_leads

MIN_PARTS = 2  # an outline of one part is no list
MAX_PARTS = 10  # sections of the seed reports have 2-8 parts


def outline_chunks(section: Section, chunks) -> list[int]:
    """The chunk numbers holding the section's parts (the first chunk of each
    sub-section, else every chunk with a paragraph lead); [] when the section
    has fewer than MIN_PARTS parts."""
    depth = len(section.path)
    firsts: dict[str, int] = {}
    for i in section.chunks:
        own = chunks[i].section
        if len(own) > depth:
            firsts.setdefault(own[depth], i)
    if len(firsts) >= MIN_PARTS:
        return list(firsts.values())[:MAX_PARTS]
    leads = [i for i in section.chunks if len(chunks[i].section) == depth and paragraph_leads(chunks[i].quote)]
    parts = sum(len(paragraph_leads(chunks[i].quote)) for i in leads)
    return leads if parts >= MIN_PARTS else []


def outline_draft(passages: list) -> Draft | None:
    """The outline of the section whose parts lead `passages` (hits added as
    "section"), each part cited; None when there are none."""
    hits = [(n, h.chunk) for n, h in enumerate(passages, 1) if getattr(h, "added", "") == "section"]
    if not hits:
        return None
    depth = len(_common_prefix([c.section for _, c in hits]))
    lines, spans = [], {}
    for n, chunk in hits:
        if len(chunk.section) > depth:  # a sub-section: its heading, cited to its opening sentence
            first = re.match(r"[^。！？!?\n]+[。！？!?]?", chunk.quote.strip())
            parts = [(heading_text(chunk.section[depth]), (0, len(first.group()) if first else 0))]
        else:
            parts = paragraph_leads(chunk.quote)
        for text, span in parts:
            lines.append(f"- {text} [{n}]")
            spans.setdefault(n, span)
    if len(lines) < MIN_PARTS:
        return None
    return Draft("\n".join(lines[:MAX_PARTS]), spans=spans, structural=True)


def _common_prefix(paths: list[list[str]]) -> list[str]:
    prefix = list(paths[0])
    for path in paths[1:]:
        while prefix and path[: len(prefix)] != prefix:
            prefix.pop()
    return prefix


__all__ = ["outline_chunks", "outline_draft"]
