"""A list the passage writes as one enumeration, shown whole and as written.

Asked "产品包括哪些", a model lists some items of the passage's "产品包括旺旺品牌
的米果、乳品、饮料、休闲食品及酒类" and skips others. When two or more of its items
stand in one sentence of a passage, separated only by other short enumerated
pieces, the system shows that run as the passage writes it, cited: every item
the passage names there, none the model invented, in the passage's characters."""

from __future__ import annotations

import re

from ..question import QuestionInfo
from ..relevance.directives import is_directive
from ..textnorm import normalize
from .attribution import in_scope
from .snapping import Snap, snap

# An enumerated piece is a name or a short phrase: a longer one is a clause of
# its own, and the run ends before it. 16 covers "新华社全球卫星数据广播网" and
# "直径有7-11厘米" (CMRC 2018 dev lists), not a report's "推进…建设" clauses.
MAX_PIECE_CHARS = 16
# The model's item must be a short name to be looked for verbatim.
MAX_ITEM_CHARS = 24
_TIGHT = "、及和与或"  # separators that join items, never clauses
_OPEN, _CLOSE = "《“「『(（", "》”」』)）"
_STOP = "。！？!?；;：:\n"


def _separators(loose: bool) -> str:
    return _TIGHT + ("，," if loose else "")


def _pieces(text: str, loose: bool) -> list[str]:
    return [p for p in re.split(rf"以及|[{re.escape(_separators(loose))}]", text) if p.strip()]


def enumeration(items: list[str], passages: list, info: QuestionInfo) -> Snap | None:
    """The passage span enumerating two or more of the model's `items`, widened
    to the whole run of enumerated pieces around them; None if there is none."""
    found: dict[tuple[int, tuple[int, int]], list[tuple[int, int]]] = {}
    for item in items:
        if not item.strip() or len(item) > MAX_ITEM_CHARS:
            continue
        s = snap(item, passages, info, partial=False)
        if s is not None and not s.scoped:
            found.setdefault((s.passage, s.sentence), []).append(s.span)
    if not found:
        return None
    (n, sentence), spans = max(found.items(), key=lambda kv: len(set(kv[1])))
    quote = passages[n - 1].chunk.quote
    if len(set(spans)) < 2 or not in_scope(info, passages[n - 1].chunk, sentence) \
            or is_directive(normalize(quote[sentence[0]:sentence[1]])):
        return None
    spans = sorted(set(spans))
    start, end = spans[0][0], max(s[1] for s in spans)
    # A passage that enumerates with commas ("梨形或苹果形，未成熟时青色，…") is read by them.
    gaps = [quote[a[1]:b[0]] for a, b in zip(spans, spans[1:])]
    loose = any(c in gap for gap in gaps for c in "，,")
    if any(len(p) > MAX_PIECE_CHARS for p in _pieces(quote[start:end], loose)):
        return None  # the items are far apart in a sentence: not one enumeration
    start, end = _widen(quote, start, end, sentence, loose)
    return Snap(n, (start, end), sentence)


def _widen(quote: str, start: int, end: int, sentence: tuple[int, int], loose: bool) -> tuple[int, int]:
    """Out to the enumeration's ends: over each further separator-and-piece,
    and over the brackets around a title (《古榕》)."""
    seps = re.escape(_separators(loose))
    piece = rf"[^{seps}{re.escape(_STOP)}]{{1,{MAX_PIECE_CHARS}}}"
    start, end = _brackets(quote, start, end)
    right = re.compile(rf"(?:以及|[{seps}])({piece})(?=[{seps}{re.escape(_STOP)}]|$)")
    while (m := right.match(quote[:sentence[1]], end)) and "等" != m.group(1)[:1]:
        end = m.end()
    left = re.compile(rf"(?:^|(?<=[{seps}{re.escape(_STOP)}]))({piece})(?:以及|[{seps}])$")
    while (m := left.search(quote[sentence[0]:start])):
        start = sentence[0] + m.start()
    return _brackets(quote, start, end)


def _brackets(quote: str, start: int, end: int) -> tuple[int, int]:
    if start > 0 and quote[start - 1] in _OPEN:
        start -= 1
    if end < len(quote) and quote[end] in _CLOSE:
        end += 1
    return start, end


__all__ = ["enumeration"]
