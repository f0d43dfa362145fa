"""The extractive answerer: needs no model weights. The answer is a figure, rank,
table cell or clause copied from a passage, followed by the supporting text
quoted with its [n] citation. It never writes a fact that is not in a passage."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Generator

from ..question import QuestionInfo
from ..relevance import RelevanceGate
from ..relevance.directives import is_directive
from ..relevance.evidence import Evidence, idf_from, known_from, sentence_units
from ..relevance.scoring import SPAN_TYPES
from ..relevance.spans import direct_span
from ..relevance.years import year_ok
from ..textnorm import normalize
from .base import NOT_FOUND, Answerer, Draft
from .bylines import asks_for_credit, byline_draft
from .mentions import mention_draft, mentioned_phrase
from .sources import source_draft
from .conflicts import HEADINGS, conflict_lines, conflict_record, conflicting, same_year, source_label, spans_of
from .english import english_draft
from .lists import list_draft
from .outline import outline_draft
from .snapping import rate_scope


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, idf=None, embedder=None, known=None, translate=None, gate=None):
        self.idf = idf or (lambda term: 1.0)
        self.known = known  # term -> bool: does the corpus contain it
        self.embedder = embedder  # semantic sentence scores (English questions)
        self.translate = translate  # English question -> crosslingual.Translation
        self.gate = gate or RelevanceGate(self.idf, known)

    @classmethod
    def create(cls, config, index=None) -> "ExtractiveAnswerer":
        if index is None:
            return cls()
        return cls(idf=idf_from(index.engine), embedder=index.embedder, known=known_from(index.engine),
                   translate=index.translate, gate=RelevanceGate.for_index(index, config))

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
        structural = _structural_answer(info, passages)
        if structural is not None:
            return structural
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
        disagree = conflicting(evidence)
        if disagree:
            return _conflict_draft(disagree, info)
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
        lines, spans, conflicts, scoped = [], {}, [], []
        for label, sub in scopes:
            evidence = self.relevant(sub, passages)
            if not evidence:
                lines.append(f"{label}：文档中没有找到。")
                continue
            disagree = conflicting(evidence)
            if disagree:  # this year's (place's) sources disagree: all of them, on its line
                spans.update(spans_of(disagree))
                figures = "；".join(f"{ev.value} [{ev.passage + 1}]（{source_label(ev, False)}）" for ev in disagree)
                lines.append(f"{label}：{HEADINGS['zh', same_year(disagree, sub.years)]}{figures}")
                conflicts.append(conflict_record(disagree, sub.years, label))
                continue
            ev = evidence[0]
            n = ev.passage + 1
            spans[n] = ev.support()
            lines.append(f"{label}：{ev.value or ev.snippet()} [{n}]（“{ev.snippet(36)}”）")
            if ev.value:
                scoped.append({"scope": label, "value": ev.value})
        if not spans:
            return Draft(NOT_FOUND["zh"], abstained=True)
        return Draft("\n".join(lines), spans=spans, conflicts=conflicts, scoped=scoped)

    def _list(self, info: QuestionInfo, passages: list) -> Draft:
        """The outline of the section the question names (outline.py); else
        several points for "哪些措施 / 取得了哪些成效" (lists.py), when the gate
        finds the passages relevant; else the single best clause."""
        outlined = outline_draft(passages)  # the parts of the section the question names
        if outlined is not None:
            return outlined
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
        text = f"{scoped_value(ev, info)} [{n}]\n“{ev.snippet()}” [{n}]"
        return Draft(text, spans={n: ev.support()})
    if span is not None:
        text = f"{ev.quote[span[0]:span[1]]} [{n}]\n“{ev.snippet(80)}” [{n}]"
    else:
        text = f"“{ev.snippet(80)}” [{n}]"
    return Draft(text, spans={n: ev.support()})


def scoped_value(ev: Evidence, info: QuestionInfo) -> str:
    """The figure, with the qualifier that makes it a rate when the question
    asks for a count: "每万人拥有5G基站数达32.8个", not "32.8个" (snapping.rate_scope)."""
    if ev.value_span is None or ev.chunk.kind == "table_row":
        return ev.value
    wider = rate_scope(info, ev.quote, ev.value_span)
    return ev.quote[wider[0]:wider[1]] if wider else ev.value


def _structural_answer(info: QuestionInfo, passages: list) -> Draft | None:
    """Where something is mentioned (mentions.py), who is credited (bylines.py),
    where a table's data comes from (sources.py)."""
    phrase = mentioned_phrase(info.text)
    if phrase:
        return mention_draft(phrase, passages)
    if asks_for_credit(info):
        return byline_draft(info.text, passages)
    # The pipeline puts the source line of the table asked about first.
    return source_draft(passages) if passages and getattr(passages[0], "added", "") == "source" else None


def _title_page_answer(info: QuestionInfo, passages: list) -> Draft | None:
    """"《…报告》是哪个部门发布的 / 什么时候发布的": the issuing body or date on the
    title page of the document the question names (named.TITLE_PAGE_TYPES)."""
    if info.expects not in ("organization", "date"):
        return None
    for i, hit in enumerate(passages):
        if getattr(hit, "added", "") != "title page":
            continue
        quote = hit.chunk.quote
        found = direct_span(info.expects, info.text, quote, (0, len(quote)))
        if found and _year_stated(info, hit.chunk, found[0]):
            (a, b), _ = found
            n = i + 1
            return Draft(f"{quote[a:b]} [{n}]\n“{_clipped(quote.strip(), 80)}” [{n}]", spans={n: (a, b)})
    return None


def _clipped(text: str, width: int) -> str:
    """The first `width` characters, never ending inside a number ("(202" of "(2023)")."""
    m = re.match(r"[\d.,]*\d", text[width:]) if width < len(text) and text[width - 1].isdigit() else None
    return text[: width + (m.end() if m else 0)]


def _year_stated(info: QuestionInfo, chunk, span: tuple[int, int]) -> bool:
    """The sentence of `span` is about the year asked (years.py): the 2024
    report's "9月19日" does not date the 2023 report's launch."""
    sentence = next((s for s, _ in sentence_units(chunk.quote) if s[0] <= span[0] < s[1]), span)
    header = normalize(f"{chunk.title} {' '.join(chunk.section)}")
    return year_ok(info.years, chunk, normalize(chunk.quote[sentence[0]:sentence[1]]), header, normalize(chunk.quote))


def _places_compared(info: QuestionInfo) -> bool:
    """"重庆和四川…分别": two places joined as the question's scopes, not one
    place inside a name ("成都道…香港仔")."""
    if len(info.places) < 2:
        return False
    text = normalize(info.text)
    a, b = info.places[:2]
    return bool(re.search(f"{a}[市省]?(?:和|与|及|、|跟|同|以及){b}|{b}[市省]?(?:和|与|及|、|跟|同|以及){a}", text))


def _conflict_draft(evidence: list[Evidence], info: QuestionInfo) -> Draft:
    """Every source's figure with its own [n], under a heading saying they disagree."""
    return Draft("\n".join(conflict_lines(evidence, info.years)), spans=spans_of(evidence),
                 conflicts=[conflict_record(evidence, info.years)])
