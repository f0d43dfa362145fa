"""Cleaning rules measured on the seed corpus (web pages, news print pages and a
PDF extraction). Each rule is a small function; `clean_text` runs them in order and
reports every span it dropped, so tests can prove no number is lost silently."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..textnorm import CJK

# --------------------------------------------------------------------------- model


@dataclass
class Dropped:
    kind: str  # "breadcrumb", "navigation", "masthead", "section", ...
    text: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text}


@dataclass
class CleanResult:
    text: str
    dropped: list[Dropped] = field(default_factory=list)


def clean_text(raw: str) -> CleanResult:
    dropped: list[Dropped] = []
    text = normalize_whitespace(raw)
    text = strip_html_tags(text)
    text = remove_pinyin(text)
    text = drop_boilerplate(text, dropped)
    text = remove_cjk_spaces(text)
    text = collapse_punctuation(text)
    text = rejoin_broken_lines(text)
    text = tidy_blank_lines(text)
    return CleanResult(text, dropped)


# --------------------------------------------------------------------- characters

_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def normalize_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH_RE.sub("", text)
    # Image placeholders in web pages are lines holding only a no-break space; keep
    # them as a marker line ("\u00a0") because a caption usually follows an image.
    return re.sub(r"(?m)^[ \t\u3000]*\u00a0[\s\u00a0]*$", "\u00a0", text)


# `[^<>]*`, not `[^>]*`: a tag cannot contain "<", and stopping there keeps the
# scan linear on text full of unclosed "<p" (with `[^>]*` every "<p" scanned to
# the end of the text: quadratic, minutes on a 1 MB file).
_HTML_TAG_RE = re.compile(
    r"</?(?:ul|ol|li|p|div|span|br|b|i|strong|em|font|table|tr|td|th|a)\b[^<>]*>", re.I
)
_HTML_BREAK_RE = re.compile(r"</li>|<br\s*/?>|</p>|</tr>|</div>", re.I)


def strip_html_tags(text: str) -> str:
    """HTML fragments left in extracted text (`<ul><li>…</li></ul>`)."""
    if "<" not in text:
        return text
    text = _HTML_BREAK_RE.sub("\n", text)
    return _HTML_TAG_RE.sub("", text)


_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A CJK character followed by its pinyin reading in parentheses: 聯(lián). Every
# injected reading carries a tone mark, which ordinary English asides never do.
_PINYIN_RE = re.compile(rf"(?<=[{CJK}])[(（]([a-zü{_TONED}]{{1,7}})[)）]")


def remove_pinyin(text: str) -> str:
    return _PINYIN_RE.sub(lambda m: "" if re.search(f"[{_TONED}]", m.group(1)) else m.group(0), text)


_CJK_SIDE = rf"{CJK}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u201c\u201d\u2018\u2019\u2014\u2026"
_SPACES_AFTER_CJK_RE = re.compile(rf"(?<=[{_CJK_SIDE}])[ \u3000\u00a0]+(?=[^\s])")
_SPACES_BEFORE_CJK_RE = re.compile(rf"(?<=[^\s])[ \u3000\u00a0]+(?=[{_CJK_SIDE}])")
_SPACE_CJK_NONCJK_RE = re.compile(
    rf"(?<=[{_CJK_SIDE}])[ \u3000\u00a0]+(?=[^\s{_CJK_SIDE}])"
    rf"|(?<=[^\s{_CJK_SIDE}])[ \u3000\u00a0]+(?=[{_CJK_SIDE}])"
)
_SHORT_LINE = 30
_LINE_PREFIX_RE = re.compile(r"^(\s*(?:#{1,6}\s+|[-*+•]\s+|>\s*)?)(.*)$")


def remove_cjk_spaces(text: str) -> str:
    """`累 计建成 5G 基站 20.7 万个` -> `累计建成5G基站20.7万个`. Spaces next to a CJK
    character are layout artefacts in Chinese text; Markdown markers keep theirs."""
    out = []
    for line in text.split("\n"):
        if line == "\u00a0":
            out.append(line)
            continue
        prefix, body = _LINE_PREFIX_RE.match(line.strip(" \u3000")).groups()
        if len(body.replace(" ", "")) <= _SHORT_LINE:
            # Titles and bylines separate phrases with a space on purpose
            # ("智能应急救援 守护水上平安", "记者 饶果"): keep CJK-CJK spaces there.
            body = _SPACE_CJK_NONCJK_RE.sub("", body)
        else:
            body = _SPACES_AFTER_CJK_RE.sub("", body)
            body = _SPACES_BEFORE_CJK_RE.sub("", body)
        out.append(prefix + body.rstrip())
    return "\n".join(out)


_PUNCT_RUN_RE = re.compile(r"[,，、;；。]{2,}")
_PUNCT_STRENGTH = {"。": 4, "；": 3, ";": 3, "、": 2, "，": 1, ",": 1}


def collapse_punctuation(text: str) -> str:
    """`,,` -> `,`; `委,、市` -> `委、市`; `。,` -> `。`: keep the strongest mark."""
    return _PUNCT_RUN_RE.sub(lambda m: max(m.group(0), key=_PUNCT_STRENGTH.__getitem__), text)


# --------------------------------------------------------------------- boilerplate

_BOILERPLATE_LINES = [
    ("breadcrumb", re.compile(r"^(?:当前位置|當前位置|您的位置|你的位置|所在位置)\s*[:：]")),
    ("breadcrumb", re.compile(r"^(?:首页|首頁|主页)\s*[>＞›»]")),
    ("navigation", re.compile(r"^(?:【[^】\n]{1,8}】\s*)+$")),
    ("navigation", re.compile(r"^(?:分享到|扫一扫|掃一掃|扫码|上一篇|下一篇)")),
    ("view-count", re.compile(r"^(?:浏览|瀏覽|阅读|閱讀|点击|點擊)(?:次数|量|数)?\s*[:：]?\s*\d*\s*次?$")),
    ("editor", re.compile(r"^(?:责任编辑|責任編輯|编辑|編輯|审核|審核|校对|校對)\s*[:：]")),
]
# Sections that only point elsewhere (teasers for other pages, tables of contents).
_DROP_SECTION_RE = re.compile(
    r"^(?:#{1,6}\s*)?(今日导读|今日導讀|本期导读|相关阅读|相關閱讀|相关新闻|推荐阅读|延伸阅读|目\s*录|目\s*錄)\s*$"
)
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+\S")
_SENTENCE_END_RE = re.compile(r"[。！？!?]")


def drop_boilerplate(text: str, dropped: list[Dropped]) -> str:
    lines = text.split("\n")
    keep = [True] * len(lines)
    for i, line in enumerate(lines):
        s = line.strip()
        for kind, pattern in _BOILERPLATE_LINES:
            if s and pattern.search(s):
                keep[i] = False
                dropped.append(Dropped(kind, s))
                break

    headings = [i for i, line in enumerate(lines) if _MD_HEADING_RE.match(line)]
    if headings:
        _drop_masthead(lines, keep, headings[0], dropped)

    i = 0
    while i < len(lines):
        m = _DROP_SECTION_RE.match(lines[i].strip())
        if not m or not keep[i]:
            i += 1
            continue
        end = _section_end(lines, i, toc=m.group(1).replace(" ", "") in {"目录", "目錄"})
        body = "\n".join(lines[i:end]).strip()
        dropped.append(Dropped("toc" if "目" in m.group(1) else "section", body))
        for j in range(i, end):
            keep[j] = False
        i = end
    return "\n".join(line for line, k in zip(lines, keep) if k)


def _drop_masthead(lines, keep, first_heading: int, dropped) -> None:
    """A print page's masthead: short lines before the first Markdown heading with
    no sentence in them (publisher, registration number, slogans, web address)."""
    block = [i for i in range(first_heading) if lines[i].strip() and keep[i]]
    if not block:
        return
    if all(len(lines[i].strip()) <= 40 and not _SENTENCE_END_RE.search(lines[i]) for i in block):
        for i in block:
            keep[i] = False
        dropped.append(Dropped("masthead", "\n".join(lines[i].strip() for i in block)))


# The lookbehind lets a leader run ("……… 12") be tried from its first character
# only; without it `search` retried from every character of a long run of dots or
# spaces (quadratic: a "目录" line of 20,000 dots took 7 s).
_TOC_ENTRY_RE = re.compile(r"(?:(?<![\t .…·])[\t .…·]+\d{1,4}|^\s*)$")


def _section_end(lines: list[str], start: int, toc: bool) -> int:
    """End (exclusive) of a dropped section: the next heading at the same or a
    higher level; for a table of contents in a document without Markdown headings,
    the first line that is not a page-numbered entry."""
    m = _MD_HEADING_RE.match(lines[start].strip())
    level = len(m.group(1)) if m else None
    for j in range(start + 1, len(lines)):
        h = _MD_HEADING_RE.match(lines[j])
        if h and (toc or level is None or len(h.group(1)) <= level):
            return j
        if level is None and toc and lines[j].strip() and not _TOC_ENTRY_RE.search(lines[j]):
            return j
    return len(lines)


# ------------------------------------------------------------------ broken lines

# Characters that can close a sentence or a heading; a line ending in anything else
# (a CJK character, digit, comma, ...) is still open.
_CLOSED_END = set("。！？!?；;：:…\"”’」』）)】》]·") | {"\u00a0"}
_STRUCTURAL_RE = re.compile(
    r"^(?:#{1,6}\s|\*\*|[-*+•■]\s|[①-⑳]|>|\||"
    r"(?:表|图|圖)\s*\d+|(?:数据来源|資料來源|资料来源|来源|來源|注)\s*[:：]|"
    r"第[一二三四五六七八九十百]+[章节部分篇]|[一二三四五六七八九十]+、|"
    r"[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．](?!\d)|[（(]\d{1,2}[)）]|"
    r"[一二三四五六七八九十]+是)"
)
# "发布时间:2025-12-02 18:06", "来源: 华龙网": header fields, never continued.
_METADATA_RE = re.compile(r"^[^,，。]{1,8}[:：]|\d{1,2}:\d{2}(?::\d{2})?$|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?$")
_DIGIT_END_RE = re.compile(r"\d$")
_UNIT_START_RE = re.compile(rf"^[{CJK}%％]")
_ASCII_WORD_END_RE = re.compile(r"[A-Za-z0-9]$")


def _is_structural(line: str) -> bool:
    return "\t" in line or bool(_STRUCTURAL_RE.match(line.strip()))


def rejoin_broken_lines(text: str) -> str:
    """Undo line breaks that fall inside a sentence or between a number and its unit.

    * `38.95\\n\\n万个` -> `38.95万个` (always: a paragraph never ends in a bare number
      followed by a unit);
    * a long open line followed by its continuation across a blank line (page breaks
      in PDF extractions) -> one paragraph. Short open lines are titles, not breaks.
    """
    paragraphs = re.split(r"\n[ \t]*\n", text)
    has_md_headings = any(_MD_HEADING_RE.match(p.lstrip()) for p in paragraphs)
    out: list[str] = []
    after_image = False
    for para in paragraphs:
        if para.strip() == "\u00a0":
            out.append(para)
            after_image = True
            continue
        if out and para.strip() and _should_join(out[-1], para, has_md_headings, after_image):
            prev = out.pop()
            glue = " " if _ASCII_WORD_END_RE.search(prev) and re.match(r"[A-Za-z0-9]", para) else ""
            para = prev.rstrip() + glue + para.lstrip()
        out.append(para)
        after_image = False
    return "\n\n".join(out)


def _should_join(prev: str, nxt: str, has_md_headings: bool, after_image: bool) -> bool:
    last = prev.rstrip().rsplit("\n", 1)[-1].strip()
    first = nxt.lstrip().split("\n", 1)[0].strip()
    if not last or not first or last[-1] in _CLOSED_END:
        return False
    if _is_structural(first) or "\t" in last or _MD_HEADING_RE.match(last):
        return False
    if _METADATA_RE.search(last):
        return False
    if _DIGIT_END_RE.search(last) and _UNIT_START_RE.match(first):
        return True
    # A numbered/bulleted line is a heading when short, a paragraph when long.
    if after_image or len(last) < 25 or (_is_structural(last) and len(last) < 40):
        return False
    # In a Markdown-structured document, headings are marked, so any long open line
    # is a break; in plain text only a clearly paragraph-length line is.
    return has_md_headings or len(last) >= 60


def tidy_blank_lines(text: str) -> str:
    """One blank line between paragraphs; where an image stood (a no-break-space
    line), two, so the chunker can tell an image caption from a section title."""
    # Runs of 2+ blank lines become 2 first (the result is the same: such runs end
    # up as "\n\n\n" anyway). Without this the image-gap pattern below was retried
    # from every newline of a long blank run: quadratic, 10 s for 20,000 newlines.
    text = re.sub(r"\n(?:[ \t]*\n){2,}", "\n\n\n", text)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)*\u00a0\n(?:[ \t]*\n)*", "\n\n\n", text)
    text = re.sub(r"(?m)^[ \t\u3000\u00a0]+$", "", text)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip() + "\n"
