"""Where a table's figures come from: the source line under it.

Reports put "数据来源:四川省通信管理局。" or "注:资料来源于赛迪顾问…" right after
a table; "表1的数据来源是哪个部门" / "…100强的排名，数据出自哪家机构" is answered
from that line (index/sections.Sections.tables_named finds the table by its caption),
the source copied as written and cited."""

from __future__ import annotations

import re

from ..textnorm import normalize
from .base import Draft

_ASKS_SOURCE_RE = re.compile(r"来源|出自|出处|数据源|引自|根据哪")
# "数据来源:X。", "资料来源于X发布…", "信息来源:X": X up to a title mark, a verb of publishing or the sentence end.
_SOURCE_LINE_RE = re.compile(r"^\s*(?:注\s*[:：]\s*)?(?:数据|資料|资料|數據|信息)?(?:来源|來源)\s*(?:于|於|[:：])\s*(?P<source>[^\n。；;]+)")
_SOURCE_END_RE = re.compile(r"《|在[^\s]{1,6}(?:发布|發布)|(?:发布|發布)|[（(]")


def asks_for_source(question: str) -> bool:
    """"数据来源是哪个部门", "数据出自哪家机构"."""
    return bool(_ASKS_SOURCE_RE.search(normalize(question)))


def source_of(quote: str) -> tuple[str, tuple[int, int]] | None:
    """(the source, the span of its line) when the quote opens with a source line."""
    m = _SOURCE_LINE_RE.match(quote)
    if m is None:
        return None
    source = m.group("source")
    end = _SOURCE_END_RE.search(source)
    source = (source[: end.start()] if end and end.start() >= 2 else source).strip(" ,，")
    return (source, (m.start("source"), m.end())) if len(source) >= 2 else None


def source_draft(passages: list) -> Draft | None:
    """The first source line opening a passage (the pipeline puts the one
    under the table asked about first), cited; None without one."""
    for n, hit in enumerate(passages, 1):
        found = source_of(hit.chunk.quote)
        if found:
            source, span = found
            line = hit.chunk.quote[: span[1]].strip()
            return Draft(f"{source} [{n}]\n“{line}” [{n}]", spans={n: span}, structural=True)
    return None


__all__ = ["asks_for_source", "source_draft", "source_of"]
