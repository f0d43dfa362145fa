"""English questions over Chinese passages, answered extractively.

The question's words are translated with the corpus-filtered dictionary
(assistant/crosslingual.py) into a Chinese question the evidence finder
understands; the multilingual embedder adds a semantic score per sentence.
The answer is an English lead, the figure (restated the English way when it
uses 万/亿: the number check accepts both), a date or name as written, and
the Chinese supporting text quoted with its [n]."""

from __future__ import annotations

import re

import numpy as np

from ..numbers import find_numbers, restate_in_english
from ..question import QuestionInfo, short_place
from ..relevance.directives import is_directive
from ..relevance.evidence import Evidence, sentence_units, find_evidence
from ..textnorm import normalize
from .base import NOT_FOUND, Draft
from .conflicts import conflict_lines, conflict_record, conflicting, spans_of

# Weight of the question-sentence cosine similarity next to the lexical
# evidence score (~0-1.3). e5 similarities of related sentences differ by
# ~0.02-0.1, so at 2 semantics only break ties between lexically close
# clauses. Measured on the 32 English seed questions: weight 0 / 2 / 5 / 10
# answered 22 / 22 / 21 / 20: e5-small's sentence ranking is too noisy to lead.
SEMANTIC_WEIGHT = 2.0
SEMANTIC_CANDIDATES = 6
_PERCENT_QUESTION_RE = re.compile(r"\bpercent(?:age)?\b|\bshare\b|\brate\b|\bproportion\b|\bratio\b", re.I)
# "What was X's revenue / rate / scale in 2024?" asks for a figure as surely as "how many".
_FIGURE_NOUN_RE = re.compile(
    r"\b(?:rate|revenue|sales|volume|scale|number|amount|total|value|share|percentage|proportion|growth|"
    r"output|income|investment|size|count|population|gdp)\b|\bhow (?:big|large|high|fast)\b", re.I)
_COUNTED_RE = re.compile(r"\bhow many\b", re.I)
_DATE_QUESTION_RE = re.compile(r"\bwhen\b|\bwhat (?:date|day|month)\b|\bwhich (?:date|day|month)\b", re.I)
_DATE_RE = re.compile(r"(?:(?:19|20)\d{2}年)?\d{1,2}月\d{1,2}日|(?:19|20)\d{2}年\d{1,2}月")


def chinese_view(info: QuestionInfo, translation) -> QuestionInfo:
    """The English question as the Chinese question the evidence finder reads:
    years, translated places and terms, and the question word of its kind."""
    percent = "百分比" if _PERCENT_QUESTION_RE.search(info.text) else ""
    kind = info.kind
    if kind == "other" and _FIGURE_NOUN_RE.search(info.text) and not _DATE_QUESTION_RE.search(info.text):
        kind = "quantity"
    ask = {"quantity": "多少", "rank": "第几", "entity": "什么"}.get(kind, "")
    places = [short_place(p) for p in translation.places]
    codes = [x.lower() for x in translation.numbers if re.search("[A-Za-z]", x)]  # 5g, gdp, ipv6
    groups = [[c] for c in codes] + translation.groups
    terms = list(dict.fromkeys(t for g in groups for t in g))
    factors = {t: 1.0 / len(g) for g in groups for t in g}
    # Senses of one word are listed apart (、) so no phrase is formed across them.
    words = "".join("、".join(g) for g in groups)
    scope = "".join(f"{y}年" for y in info.years) + "".join(places)
    if ask == "多少" and _COUNTED_RE.search(info.text):
        # A count goes before what it counts ("47家企业"): with 多少 first the
        # evidence finder takes the figure before the counted noun, not the next
        # one after it. English seed questions: 39 -> 44 of 51.
        text = scope + ask + words + percent
    else:
        text = scope + words + percent + ask
    return QuestionInfo(text, False, info.years, places, kind, terms, factors)


def english_draft(info: QuestionInfo, passages: list, translation, idf, known, embedder) -> Draft:
    if translation is not None and translation.missing:
        names = ", ".join(translation.missing)
        return Draft(f"{NOT_FOUND['en']} ({names} is not mentioned in them.)", abstained=True)
    found: list[Evidence] = []
    view = info
    if translation is not None and (translation.terms or translation.places):
        view = chinese_view(info, translation)
        found = find_evidence(view, passages, idf, limit=16, known=known)
    if embedder is not None and found:
        # Semantics only break near-ties, so only the leading clauses are embedded
        # (~20-40 ms per new sentence on 2 cores; cached afterwards).
        found = found[:SEMANTIC_CANDIDATES]
        sims = embedder.similarity(info.text, [ev.quote[ev.sentence[0] : ev.sentence[1]] for ev in found])
        for ev, sim in zip(found, sims):
            ev.score += SEMANTIC_WEIGHT * float(sim)
        found.sort(key=lambda e: -e.score)
    if view.kind == "quantity" and not _PERCENT_QUESTION_RE.search(info.text):
        # "What was Chongqing's GDP?" is not answered by a share of GDP (47.8%).
        found = [ev for ev in found if not (ev.value and re.search(r"%|百分点", ev.value))]
    if found and (view.kind not in ("quantity", "rank") or found[0].value):
        disagree = conflicting(found)
        if disagree:
            return _conflict_answer(info, disagree)
        return _answer(info, found[0])
    return _closest_sentence(info, passages, embedder, figure=view.kind in ("quantity", "rank"))


def _answer(info: QuestionInfo, ev: Evidence) -> Draft:
    n = ev.passage + 1
    s0, s1 = ev.sentence
    value = ev.value
    if value is None and _DATE_QUESTION_RE.search(info.text):
        m = _DATE_RE.search(ev.quote, s0, s1)
        if m:
            value, ev.value_span = m.group(), m.span()
    c = ev.chunk
    source = c.title + (f" ({c.year})" if c.year and str(c.year) not in c.title else "")
    if value:
        english = restate_in_english(value)
        figure = f"{value} ({english})" if english else value
        text = f"According to {source}: {figure} [{n}]\nSupporting text: “{_quoted(ev.snippet())}” [{n}]"
    else:
        text = f"According to {source}: “{_quoted(ev.snippet(80))}” [{n}]"
    return Draft(text, spans={n: ev.support()})


def _conflict_answer(info: QuestionInfo, evidence: list[Evidence]) -> Draft:
    """The sources disagree (conflicts.py): each figure, restated the English
    way, with its source and [n]."""
    lines = conflict_lines(evidence, info.years, english=True)
    for k, ev in enumerate(evidence, 1):
        english = restate_in_english(ev.value)
        if english:
            lines[k] = lines[k].replace(f"{ev.value} [", f"{ev.value} ({english}) [", 1)
    return Draft("\n".join(lines), spans=spans_of(evidence), conflicts=[conflict_record(evidence, info.years)])


def _quoted(snippet: str) -> str:
    # A sentence end inside the quotation would leave the quote before its [n].
    return snippet.rstrip("。；;！!？?")


def _states_figure(text: str) -> bool:
    """A number other than a year ("2024年") in the text."""
    return any(not (1900 <= n.value <= 2099 and text[n.end : n.end + 1] == "年") for n in find_numbers(text))


def _closest_sentence(info: QuestionInfo, passages: list, embedder, figure: bool = False) -> Draft:
    """No clause holds what was asked: abstain, pointing to the sentence of the
    top passages closest in meaning (cited, so it can be checked). When a
    figure was asked for, a sentence stating one is not pointed to: after "not
    found" it reads as the answer (an uploaded "…更正为19999亿元" was the
    closest sentence to "What was Chongqing's GDP in 2024?")."""
    if embedder is None:
        return Draft(NOT_FOUND["en"], abstained=True)
    candidates = []
    for i, hit in enumerate(passages[:3]):
        for sent, _ in sentence_units(hit.chunk.quote):
            text = hit.chunk.quote[sent[0] : sent[1]].strip()
            if len(text) >= 8 and not (figure and _states_figure(text)):
                candidates.append((i, sent, text))
    if not candidates:
        return Draft(NOT_FOUND["en"], abstained=True)
    sims = embedder.similarity(info.text, [c[2] for c in candidates])
    # Questions and instructions in the passages (prompt injections) rank below
    # every statement (cosine similarity is at most 1): see directives.py.
    penalty = np.array([2.0 if is_directive(normalize(c[2])) else 0.0 for c in candidates])
    i, sent, text = candidates[int(np.argmax(sims - penalty))]
    text = f"{NOT_FOUND['en']} The closest passage: “{_quoted(text)}” [{i + 1}]"
    return Draft(text, abstained=True, spans={i + 1: sent})
