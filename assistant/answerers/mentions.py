"""Where the documents mention something: "文档中哪里提到东数西算？",
"“系统已被攻破”出现在哪里？". The answer is each sentence that writes the words
asked about, quoted and cited, never restated: a search over the passages,
not a reading of them (and so never a way for a document's sentence to become
the answer's own words)."""

from __future__ import annotations

import re

from ..textnorm import aligned_normalize, normalize
from .base import Draft

_WHERE = r"(?:哪里|哪儿|何处|哪些地方|什么地方|哪个部分|哪一部分)"
_MENTION = r"(?P<verb>提到|提及|说到|讲到|写到|谈到|出现|记载)"
# "出现在哪里" also asks where something first appeared in history ("博落回一名
#首先在哪里出现"): it asks about the documents only with quotes or their name.
_HISTORY_VERBS = ("出现", "记载")
_ABOUT_DOCUMENTS_RE = re.compile(r"文档|资料|报告|文中|文件|原文|[“\"「『]")
_ASKS_RE = (
    re.compile(rf"{_WHERE}(?:有)?{_MENTION}(?:了|过)?(?P<phrase>.+?)[？?。]?$"),
    re.compile(rf"^(?:文档|资料|报告)?(?:中|里)?(?P<phrase>.+?)(?:是)?在{_WHERE}{_MENTION}"),
    re.compile(rf"^(?P<phrase>.+?){_MENTION}(?:在)?{_WHERE}"),
)
MIN_PHRASE_CHARS = 3  # "东数西算"; shorter words are everywhere
MAX_SENTENCES = 3
_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


def mentioned_phrase(question: str) -> str | None:
    """The words a "where is X mentioned" question asks about, without quotes."""
    q = normalize(question).strip()
    for pattern in _ASKS_RE:
        m = pattern.search(q)
        if m is None or (m.group("verb") in _HISTORY_VERBS and not _ABOUT_DOCUMENTS_RE.search(q)):
            continue
        phrase = m.group("phrase").strip(" “”\"'「」『』？?")
        if len(phrase) >= MIN_PHRASE_CHARS:
            return phrase
    return None


def mention_draft(phrase: str, passages: list) -> Draft | None:
    """Each sentence of the passages writing `phrase`, quoted and cited."""
    lines, spans = [], {}
    for n, hit in enumerate(passages, 1):
        quote = hit.chunk.quote
        norm = aligned_normalize(quote)
        for m in _SENTENCE_RE.finditer(quote):
            if phrase in norm[m.start():m.end()] and len(lines) < MAX_SENTENCES:
                # Quoted without its end mark: the [n] after the quote cites the whole of it.
                lines.append(f"“{m.group().strip().rstrip('。！？!?；;')}” [{n}]")
                spans.setdefault(n, m.span())
    return Draft("\n".join(lines), spans=spans, structural=True) if lines else None


__all__ = ["mention_draft", "mentioned_phrase"]
