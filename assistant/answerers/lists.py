"""List and summary answers ("取得了哪些成效", "有哪些主要措施"): several short
points, each copied from a passage with its own [n], chosen for relevance and
diversity (maximal marginal relevance), in the order the sources give them.

Reports state their points in recognisable forms, which are preferred over
arbitrary sentences: enumerations (一是… / （二）… / 3.…), short lead sentences
that open a paragraph ("数字经济核心产业稳步扩大。"), and section headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..relevance.evidence import place_scope
from ..relevance.metric import term_weights
from ..textnorm import normalize
from .base import Draft

MAX_POINTS = 6
MIN_POINTS = 3
MAX_CHARS = 400  # the whole list, about what a reader takes in at a glance
POINT_CHARS = 48  # a point longer than this is cut at a clause end
# MMR trade-off (Carbonell & Goldstein 1998): 0.7 leans on relevance; points
# sharing most of their characters are near-duplicates either way.
MMR_LAMBDA = 0.7
# A point scoring under this share of the best one is not worth listing.
MIN_SHARE = 0.45
# Points in a recognised form weigh more than plain sentences.
FORM_WEIGHT = {"inline": 0.8, "enum": 1.0, "heading": 0.9, "lead": 0.85, "sentence": 0.55}
# Points from another document than the best passage's weigh less: a list is
# usually one report's enumeration.
OTHER_DOCUMENT = 0.7
INLINE_CHARS = 90  # an inline enumeration (A、B、C) is shown whole up to this length
PASSAGES = 6  # top passages the points come from

_ENUM_RE = re.compile(
    r"(?:^|(?<=[。；;！!？?\s]))\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十]+[，,、]"
    r"|\d{1,2}[.、．](?!\d))\s*([^。；;！!？?\n]{2,80})"
)
_SENTENCE_RE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
_SOURCE_LINE_RE = re.compile(r"\s*(?:数据|资料|數據|資料)?来源\s*[:：]")  # a table's source line, not a point
_NUMBERING_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、．]|#+)\s*")


@dataclass
class Point:
    passage: int
    span: tuple[int, int]  # in the passage's quote (the heading's first sentence for headings)
    text: str
    form: str
    order: tuple
    score: float = 0.0


def list_draft(info, passages: list, idf, known=None) -> Draft | None:
    """The points answering a list question, or None when fewer than two are found."""
    weights = term_weights(info, idf, known)
    total = sum(weights.values()) or 1.0
    points = [p for i, hit in enumerate(passages[:PASSAGES]) for p in _in_scope(info, hit.chunk, _points(i, hit.chunk))]
    if not points:
        return None
    context = [_coverage(weights, normalize(f"{h.chunk.section_path} {h.chunk.quote}")) / total for h in passages]
    best_doc = passages[max(range(min(len(passages), PASSAGES)), key=lambda i: context[i])].chunk.doc_id
    for p in points:
        own = _coverage(weights, normalize(p.text)) / total
        p.score = FORM_WEIGHT[p.form] * (context[p.passage] + 0.5 * own) + 0.1 / (p.passage + 1)
        if passages[p.passage].chunk.doc_id != best_doc:
            p.score *= OTHER_DOCUMENT
    chosen = _mmr(points)
    if len(chosen) < 2:
        return None
    chosen.sort(key=lambda p: p.order)
    lines, spans, used = [], {}, 0
    for k, p in enumerate(chosen, 1):
        n = p.passage + 1
        line = f"- {p.text} [{n}]"  # bullets, not "1.": the number check would read them as figures
        if used + len(line) > MAX_CHARS and k > MIN_POINTS:
            break
        lines.append(line)
        spans.setdefault(n, p.span)
        used += len(line)
    return Draft("\n".join(lines), spans=spans)


def _in_scope(info, chunk, points: list[Point]) -> list[Point]:
    """Points about the places asked: none from a report on another place,
    unless the point names the place itself (evidence.place_scope)."""
    header = normalize(f"{chunk.title} {' '.join(chunk.section)}")
    must_name = place_scope(info, header, normalize(chunk.quote))
    if must_name is None:
        return []
    return [p for p in points if all(place in normalize(p.text) for place in must_name) and not _SOURCE_LINE_RE.match(p.text)]


def _coverage(weights: dict[str, float], text: str) -> float:
    return sum(w for t, w in weights.items() if t in text)


def _points(i: int, chunk) -> list[Point]:
    quote = chunk.quote
    out: list[Point] = []
    base = (chunk.doc_id, chunk.start)
    for m in _ENUM_RE.finditer(quote):
        text, span = _short(quote, *m.span(1))
        out.append(Point(i, span, text, "enum", base + (span[0],)))
    for m in _SENTENCE_RE.finditer(quote):
        if m.group().count("、") >= 2:
            a, b = m.span()
            first, last = quote.find("、", a), quote.rfind("、", a, b)
            # from the clause holding the first item to the clause holding the last
            start = max(quote.rfind(c, a, first) for c in "，,：:") + 1 if any(
                quote.rfind(c, a, first) >= 0 for c in "，,：:") else a
            end = min((i for i in (quote.find(c, last) for c in "，,。；;") if 0 <= i <= b), default=b)
            if end - start <= INLINE_CHARS:
                out.append(Point(i, (start, end), quote[start:end].strip(), "inline", base + (start,)))
    for text, span in paragraph_leads(quote):
        out.append(Point(i, span, text, "lead", base + (span[0],)))
    if chunk.section:
        heading = _NUMBERING_RE.sub("", chunk.section[-1]).strip()
        first = _SENTENCE_RE.match(quote.strip())
        if 4 <= len(heading) <= 30:
            span = (0, len(first.group())) if first else (0, min(len(quote), 40))
            out.append(Point(i, span, heading, "heading", base + (-1,)))
    taken = {p.span[0] for p in out}
    for m in _SENTENCE_RE.finditer(quote):
        if m.start() not in taken and len(m.group().strip()) >= 8:
            text, span = _short(quote, m.start(), m.end())
            out.append(Point(i, span, text, "sentence", base + (span[0],)))
    return out


def paragraph_leads(quote: str) -> list[tuple[str, tuple[int, int]]]:
    """(lead sentence without its "。", its span) of each line opening with a
    short sentence ("数字经济核心产业稳步扩大。"): a paragraph's own heading."""
    out, offset = [], 0
    for line in quote.split("\n"):
        first = _SENTENCE_RE.match(line.strip())
        lead = first.group().strip() if first else ""
        if 6 <= len(lead) <= 30 and lead.endswith("。") and not _ENUM_RE.match(line):
            a = offset + line.find(lead)
            out.append((lead.rstrip("。；;"), (a, a + len(lead))))
        offset += len(line) + 1
    return out


def _short(quote: str, a: int, b: int) -> tuple[str, tuple[int, int]]:
    """The point as a whole clause sequence of at most POINT_CHARS characters."""
    while a < b and quote[a] in " \t　":
        a += 1
    text = quote[a:b]
    if len(text) > POINT_CHARS:
        cut = max((text.rfind(c, 0, POINT_CHARS) for c in "，,、：:"), default=-1)
        text = text[: cut if cut >= 6 else POINT_CHARS]
    text = text.rstrip("。；;，,、 ")
    return text, (a, a + len(text))


def _similarity(a: str, b: str) -> float:
    x = {a[i : i + 2] for i in range(len(a) - 1)}
    y = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(x & y) / len(x | y) if x and y else 0.0


def _mmr(points: list[Point]) -> list[Point]:
    points = sorted(points, key=lambda p: -p.score)
    best = points[0].score
    chosen: list[Point] = []
    candidates = [p for p in points if p.score >= MIN_SHARE * best]
    while candidates and len(chosen) < MAX_POINTS:
        def gain(p: Point) -> float:
            overlap = max((_similarity(p.text, c.text) for c in chosen), default=0.0)
            return MMR_LAMBDA * p.score - (1 - MMR_LAMBDA) * best * overlap

        pick = max(candidates, key=gain)
        candidates.remove(pick)
        if any(pick.text in c.text or c.text in pick.text or _similarity(pick.text, c.text) > 0.6 for c in chosen):
            continue
        chosen.append(pick)
    return chosen
