"""The extractive answerer: needs no model weights. The answer is a figure, rank,
table cell or clause copied from a passage, followed by the supporting text
quoted with its [n] citation. It never writes a fact that is not in a passage."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Generator

from ..numbers import find_numbers
from ..question import QuestionInfo
from ..textnorm import normalize
from .base import NOT_FOUND, Answerer, Draft
from .english import english_draft
from .directives import is_directive
from .evidence import PERCENT_VALUE_RE, Evidence
from .lists import list_draft
from .scoring import SPAN_TYPES
from .spans import direct_span

class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, idf=None, embedder=None, known=None, translate=None, gate=None):
        from ..relevance import RelevanceGate

        self.idf = idf or (lambda term: 1.0)
        self.known = known  # term -> bool: does the corpus contain it
        self.embedder = embedder  # semantic sentence scores (English questions)
        self.translate = translate  # English question -> crosslingual.Translation
        self.gate = gate or RelevanceGate(self.idf, known)

    def passage_count(self, config) -> int:
        return max(config.top_k, config.extractive_passages)

    def answer(self, question: str, info: QuestionInfo, passages: list, history=None) -> Generator[str, None, Draft]:
        draft = self.draft(info, passages)
        yield draft.text
        return draft

    # ------------------------------------------------------------------ drafting

    def draft(self, info: QuestionInfo, passages: list) -> Draft:
        lang = "en" if info.english else "zh"
        if not passages:
            return Draft(NOT_FOUND[lang], abstained=True)
        if info.english:
            return self._english(info, passages)
        if info.expects == "list":
            return self._list(info, passages)
        page = _title_page_answer(info, passages)
        if page is not None:
            return page
        if len(info.years) >= 2 or _places_compared(info):
            return self._per_scope(info, passages)
        evidence = self.relevant(info, passages)
        if not evidence:
            return Draft(NOT_FOUND[lang], abstained=True)
        conflicting = _conflicts(evidence)
        if len(conflicting) > 1:
            return _conflict_draft(conflicting)
        return _single_draft(*_best_span(evidence, info), info)

    def relevant(self, info: QuestionInfo, passages: list) -> list[Evidence]:
        """Evidence that clears the relevance gate, best first."""
        relevance = self.gate.assess(info, passages)
        return relevance.evidence if relevance.answerable else []

    def _per_scope(self, info: QuestionInfo, passages: list) -> Draft:
        """"2023年和2024年…分别是多少" / "重庆和四川…分别": one answer per year (or
        place), each from evidence for that year (place) only, labelled with it."""
        if len(info.years) >= 2:
            scopes = [(f"{y}年", replace(info, years=[y])) for y in info.years]
        else:
            scopes = [(p, replace(info, places=[p])) for p in info.places]
        lines, spans = [], {}
        for label, sub in scopes:
            evidence = self.relevant(sub, passages)
            if not evidence:
                lines.append(f"{label}：文档中没有找到。")
                continue
            ev = evidence[0]
            n = ev.passage + 1
            spans[n] = ev.support()
            lines.append(f"{label}：{ev.value or ev.snippet()} [{n}]（“{ev.snippet(36)}”）")
        if not spans:
            return Draft(NOT_FOUND["zh"], abstained=True)
        return Draft("\n".join(lines), spans=spans)

    def _list(self, info: QuestionInfo, passages: list) -> Draft:
        """Several points for "哪些措施 / 取得了哪些成效" (lists.py), when the gate
        finds the passages relevant; else the single best clause."""
        if not self.gate.assess(info, passages, rank=False).answerable:
            return Draft(NOT_FOUND["zh"], abstained=True)
        return list_draft(info, passages, self.idf, self.known) or _single_draft(
            *_best_span(self.relevant(info, passages), info), info)

    def _english(self, info: QuestionInfo, passages: list) -> Draft:
        """English question, Chinese passages: see english.py."""
        translation = self.translate(info.text) if self.translate else None
        return english_draft(info, passages, translation, self.idf, self.known, self.embedder)


# The scorer's first candidates a direct answer is looked for in: a clause that
# states the answer in the question's own frame ("以…为食", "副市长 马震") can
# rank just below one that only names the subject. "Just below": within 3.0 of
# the best in the scorer's units, half a unit of lexical score (weight ~6).
SPAN_CANDIDATES = 3
SPAN_MARGIN = 3.0


def _best_span(evidence: list[Evidence], info: QuestionInfo) -> tuple[Evidence, tuple[int, int] | None]:
    """The evidence to answer from, and its direct-answer span if the question
    wants one: the surest span among the best candidates, the better ranked
    on a tie."""
    best = evidence[0]
    if best.value or info.expects not in SPAN_TYPES:
        return best, None
    found = []
    for rank, ev in enumerate(evidence[:SPAN_CANDIDATES]):
        if rank and (ev.rank_score is None or ev.rank_score < best.rank_score - SPAN_MARGIN):
            continue
        # An instruction in a passage is quoted, never cut into an answer (directives.py).
        if is_directive(normalize(ev.quote[ev.sentence[0]:ev.sentence[1]])):
            continue
        hit = direct_span(info.expects, info.text, ev.quote, ev.sentence)
        if hit:
            found.append((hit[1], -rank, ev, hit[0]))
    if not found:
        return best, None
    _, _, ev, span = max(found, key=lambda f: f[:2])
    return ev, span


def _single_draft(ev: Evidence, span: tuple[int, int] | None, info: QuestionInfo) -> Draft:
    n = ev.passage + 1
    if ev.value:
        text = f"{ev.value} [{n}]\n“{ev.snippet()}” [{n}]"
        return Draft(text, spans={n: ev.support()})
    if span is not None:
        text = f"{ev.quote[span[0]:span[1]]} [{n}]\n“{ev.snippet(80)}” [{n}]"
    else:
        text = f"“{ev.snippet(80)}” [{n}]"
    return Draft(text, spans={n: ev.support()})


def _value_key(ev: Evidence) -> tuple:
    nums = find_numbers(ev.value or "")
    return tuple(round(n.scaled, 6) for n in nums) or (ev.value,)


def _conflicts(evidence: list[Evidence]) -> list[Evidence]:
    """Best evidence per document among near-equal candidates, when their values
    differ: several sources give different figures for the same thing."""
    best = evidence[0]
    if best.value is None:
        return [best]
    per_doc: dict[str, Evidence] = {}
    for ev in evidence:
        if (
            ev.value is not None
            and not ev.other_metric
            and _same_kind(ev.value, best.value)
            and ev.coverage >= 0.85 * best.coverage
            and ev.score >= 0.6 * best.score
            and ev.chunk.doc_id not in per_doc
        ):
            per_doc[ev.chunk.doc_id] = ev
    chosen = list(per_doc.values())
    if len({_value_key(ev) for ev in chosen}) <= 1:
        return [best]
    return chosen[:3]


def _title_page_answer(info: QuestionInfo, passages: list) -> Draft | None:
    """"《…报告》是哪个部门发布的 / 什么时候发布的": the issuing body or date on the
    title page of the document the question names (pipeline.TITLE_PAGE_TYPES)."""
    if info.expects not in ("organization", "date"):
        return None
    for i, hit in enumerate(passages):
        if not getattr(hit, "title_page", False):
            continue
        quote = hit.chunk.quote
        found = direct_span(info.expects, info.text, quote, (0, len(quote)))
        if found:
            (a, b), _ = found
            n = i + 1
            return Draft(f"{quote[a:b]} [{n}]\n“{quote.strip()[:80]}” [{n}]", spans={n: (a, b)})
    return None


def _places_compared(info: QuestionInfo) -> bool:
    """"重庆和四川…分别": two places joined as the question's scopes, not one
    place inside a name ("成都道…香港仔")."""
    if len(info.places) < 2:
        return False
    text = normalize(info.text)
    a, b = info.places[:2]
    return bool(re.search(f"{a}[市省]?(?:和|与|及|、|跟|同|以及){b}|{b}[市省]?(?:和|与|及|、|跟|同|以及){a}", text))


def _same_kind(a: str, b: str) -> bool:
    """Both percentages or both amounts: a growth rate does not conflict with a total."""
    return bool(PERCENT_VALUE_RE.search(a)) == bool(PERCENT_VALUE_RE.search(b))


def _conflict_draft(evidence: list[Evidence]) -> Draft:
    lines = ["不同文档给出的数字不同（注意各自的年份）："]
    spans = {}
    for ev in evidence:
        n = ev.passage + 1
        spans[n] = ev.support()
        c = ev.chunk
        when = "，".join(x for x in (f"{c.year}年" if c.year else "", f"{c.date}发布" if c.date else "") if x)
        lines.append(f"- {c.title}（{when or '日期不详'}）：{ev.value} [{n}]")
    return Draft("\n".join(lines), spans=spans)
