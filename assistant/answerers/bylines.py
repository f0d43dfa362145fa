"""Who wrote, photographed or edited a news report: its credit lines.

News pages credit their people on short lines of their own ("记者 饶果",
"记者 朱颂扬 摄", "記者 吳禮霜/文 李文科/圖", "责任编辑:邓旻璐"), usually at the
top or the end of the article, where retrieval seldom ranks them. "那组照片是
哪位记者拍的" / "文字记者是谁" is answered from those lines, the name copied as
written and cited; a model reading the body text names whoever speaks in it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..textnorm import normalize
from .base import Draft

_NAME = r"[\u4e00-\u9fff·]{2,4}"
# A role written after the name ("朱颂扬 摄", "李文科/圖") or before it ("记者 饶果", "责任编辑:邓旻璐").
_AFTER_RE = re.compile(rf"({_NAME})\s*[/／]?\s*(文|图|圖|摄|攝)(?![\u4e00-\u9fff])")
_ROLE_WORD_RE = re.compile(r"记者|記者|通讯员|通訊員|摄影|攝影|责任编辑|責任編輯|编辑|編輯")
_BEFORE_RE = re.compile(rf"(记者|記者|通讯员|通訊員|摄影|攝影|责任编辑|責任編輯|编辑|編輯)\s*[:：]?\s*({_NAME})")
ROLES = {"文": "text", "图": "photo", "圖": "photo", "摄": "photo", "攝": "photo", "摄影": "photo", "攝影": "photo",
         "记者": "text", "記者": "text", "通讯员": "text", "通訊員": "text",
         "责任编辑": "editor", "責任編輯": "editor", "编辑": "editor", "編輯": "editor"}
CREDIT_LINE_CHARS = 40  # a longer line is body text that happens to name a reporter
# The role a question asks about: a photo's taker, an editor, else the writer.
_ASKS_PHOTO_RE = re.compile(r"拍|摄|照片|图片|配图|图是|摄影")
_ASKS_EDITOR_RE = re.compile(r"编辑")
_ASKS_CREDIT_RE = re.compile(r"记者|拍|摄|照片|配图|摄影|编辑|撰稿|作者|写的|执笔")


@dataclass(frozen=True)
class Credit:
    role: str  # "text" | "photo" | "editor"
    name: str
    span: tuple[int, int]  # the credit line in the chunk's quote


def asks_for_credit(info) -> bool:
    """"哪位记者拍的", "文字记者是谁", "责任编辑是谁": who is credited with a report."""
    return info.expects == "person" and bool(_ASKS_CREDIT_RE.search(normalize(info.text)))


def credits(quote: str) -> list[Credit]:
    """The credits on the quote's credit lines (lines holding nothing else)."""
    out, offset = [], 0
    for line in quote.split("\n"):
        if len(line.strip()) <= CREDIT_LINE_CHARS:
            found = _line_credits(line)
            span = (offset, offset + len(line))
            out += [Credit(role, name, span) for role, name in found]
        offset += len(line) + 1
    return out


def _line_credits(line: str) -> list[tuple[str, str]]:
    line = _ROLE_WORD_RE.sub(lambda m: f" {m.group()} ", line)  # "记者吴礼霜": the role is no part of the name
    found, rest = [], line
    for m in _AFTER_RE.finditer(line):
        found.append((ROLES[m.group(2)], m.group(1)))
        rest = rest.replace(m.group(0), " ")
    for m in _BEFORE_RE.finditer(rest):
        found.append((ROLES[m.group(1)], m.group(2)))
        rest = rest.replace(m.group(0), " ")
    # A credit line holds credits only ("记者 吳禮霜/文 李文科/圖").
    if not found or re.sub(r"[\s/／:：,，、|]|本报|本報|本台|本刊", "", _ROLE_WORD_RE.sub(" ", rest)):
        return []
    # "记者 朱颂扬 摄": the prefix and the suffix credit one person: the suffix's role.
    by_name: dict[str, str] = {}
    for role, name in found:
        by_name.setdefault(name, role)
    return [(role, name) for name, role in by_name.items()]


def byline_draft(question: str, passages: list) -> Draft | None:
    """The person credited with the role the question asks about, cited to
    the credit line; None when no passage has such a line."""
    q = normalize(question)
    wanted = "photo" if _ASKS_PHOTO_RE.search(q) else "editor" if _ASKS_EDITOR_RE.search(q) else "text"
    for n, hit in enumerate(passages, 1):
        for credit in credits(hit.chunk.quote):
            if credit.role == wanted:
                line = hit.chunk.quote[credit.span[0]:credit.span[1]].strip()
                return Draft(f"{credit.name} [{n}]\n“{line}” [{n}]", spans={n: credit.span}, structural=True)
    return None


__all__ = ["Credit", "asks_for_credit", "byline_draft", "credits"]
