"""A model's text turned into a cited answer by the system, or refused.

The model reads evidence windows and writes plain text. What is shown is built
here from that text and the passages, never taken as written:

* factoids (a name, date, place or figure): the answer snapped to the passage's
  own characters (snapping.py), then the sentence it stands in, both cited;
* lists and explanations: each item aligned to the passage that supports it
  (attribution.py), unsupported items dropped and counted;
* English answers quote figures as the passage writes them; any conversion
  ("51.92 million") is computed here (numbers.restate_in_english).

Whether the result may be shown is then decided by the pipeline's checks."""

from __future__ import annotations

import re
from dataclasses import replace

from ..numbers import find_numbers, restate_in_english
from ..question import QuestionInfo
from ..relevance.directives import is_directive
from ..relevance.evidence import PERCENT_VALUE_RE, sentence_units
from ..relevance.metric import asked_unit, figure_in, metric_phrase, names_other_metric, unit_agrees
from ..textnorm import is_traditional, normalize, to_traditional
from .attribution import REASONS, attribute, in_scope, reason_text, split_items, strip_markers
from .base import NOT_FOUND, Draft, restates, says_not_found
from .enumeration import enumeration
from .prompt import answer_shape
from .snapping import answer_in_statement, clean_answer, compact, snap

# The sentence shown under a factoid: whole up to this many characters, else
# this much around the answer (extractive answers show about as much).
SNIPPET_CHARS = 100
# Questions whose answer is a figure ("第几名" is one, "哪个城市排名最靠后" a place).
FIGURE_TYPES = ("quantity", "percentage", "rank")
_NUMERAL_RE = re.compile(r"[一二两三四五六七八九十百千万亿]")
# Latin terms of a question ("PUE", "IPv6", "5G"): what it measures, by name.
_LATIN_TERM_RE = re.compile(r"[A-Za-z][A-Za-z0-9.+\-]*|\d+[A-Za-z]+")
# A factoid answer longer than this is a sentence: checked as prose, not snapped.
SHORT_ANSWER_CHARS = 24
_SENTENCE_ENDS = "。！？!?；"
UNSUPPORTED = {"zh": "答案在资料中找不到", "en": "the answer is not in the passages"}


def ground(draft: Draft, info: QuestionInfo, passages: list, weight=None, idf=None, known=None,
           unsure: bool = False) -> Draft:
    """The Draft to check and show for a model's `draft`. `weight`: bigram
    weights for citation support; `idf`, `known`: the index's term statistics,
    for telling the metric asked about from another one. `unsure`: the
    relevance gate found no clause answering (the model read anyway): a figure
    must then stand where its metric is named as the question names it, if
    the passages name it so anywhere."""
    raw = strip_markers(draft.text).strip()
    if not raw:
        return draft
    if _refuses(raw):
        return Draft(NOT_FOUND["en" if info.english else "zh"], abstained=True, stopped=draft.stopped)
    if not info.english and answer_shape(info) != "list" and restates(raw, info.text):
        return Draft(raw, stopped=draft.stopped, unsupported=REASONS["restated", "zh"])
    if draft.stopped in ("timeout", "length"):
        # What was written in full before the time or token limit still stands:
        # the point or sentence being written is dropped, and the answer says so.
        finished = _finished(raw, answer_shape(info) == "list", draft.stopped == "length")
        if finished:
            draft = Draft(finished, stopped="cut" if draft.stopped == "timeout" else "trimmed")
            raw = finished
    if answer_shape(info) == "factoid":
        short = len(raw) <= SHORT_ANSWER_CHARS and "\n" not in raw
        terms = (idf, known, unsure)
        # A short answer is shown as the passage writes it: found whole, else
        # its longest piece the passage holds ("香港青衣岛" -> the passage's
        # "青衣岛"). A sentence ("2024年…达2495万人。") is checked as prose is.
        for exact in (True, False):
            snapped = _factoid(raw, draft, info, passages, terms, exact=exact) if short else None
            if snapped is not None:
                return snapped
        if short and _names_a_file(raw, passages):
            return Draft(raw, stopped=draft.stopped, unsupported=REASONS["unsupported", "en" if info.english else "zh"])
        return _stated(raw, draft, info, passages, terms) or _prose(raw, draft, info, passages, weight)
    if answer_shape(info) != "list":
        return _explained(raw, draft, info, passages, weight)
    listed = _enumerated(raw, draft, info, passages, weight) or _explained(raw, draft, info, passages, weight)
    return listed if listed.unsupported else replace(listed, text=_bulleted(listed.text))


def _explained(raw: str, draft: Draft, info: QuestionInfo, passages: list, weight) -> Draft:
    """A definition, reason or method: the direct answer on the first line,
    snapped to the passage's characters when it stands there verbatim, then the
    explaining sentence(s), each aligned and cited."""
    first, _, rest = raw.partition("\n")
    if not rest.strip() and answer_shape(info) != "list":  # perhaps the question restated, the answer in it
        return _stated(raw, draft, info, passages, (None, None, False)) or _prose(raw, draft, info, passages, weight)
    found = snap(first, passages, info, partial=False) if len(first) <= SHORT_ANSWER_CHARS and rest.strip() else None
    if found is None or not in_scope(info, passages[found.passage - 1].chunk, found.sentence):
        return _prose(raw, draft, info, passages, weight)
    explained = _prose(rest, draft, info, passages, weight)
    if explained.unsupported:  # the explanation is part of the answer: all or nothing
        return _prose(raw, draft, info, passages, weight)
    n = found.passage
    head = f"{found.text(passages[n - 1].chunk.quote).strip()} [{n}]"
    return Draft(f"{head}\n{explained.text}", spans={n: found.sentence, **explained.spans},
                 stopped=draft.stopped, dropped=explained.dropped)


def _prose(raw: str, draft: Draft, info: QuestionInfo, passages: list, weight) -> Draft:
    result = attribute(raw, passages, weight, info=info)
    dropped = [i.text for i in result.dropped]
    # Outside a list, the first statement is the direct answer: if it goes, all goes.
    lead = next((i for i in result.items if not i.heading), None)
    direct_lost = answer_shape(info) != "list" and lead is not None and not lead.sources
    if not result.shown or direct_lost:
        first = lead if direct_lost else (result.dropped[0] if result.dropped else None)
        reason = reason_text(first, info.english) if first else UNSUPPORTED["en" if info.english else "zh"]
        return Draft(raw, stopped=draft.stopped, unsupported=reason, dropped=dropped)
    if info.english:
        text = _with_english_figures(result.text)
    else:  # the 1.5B model writes Simplified whatever it reads: a "為什麼" gets a Traditional answer
        text = to_traditional(result.text) if is_traditional(info.text) else result.text
    return Draft(text, spans=result.spans, stopped=draft.stopped, dropped=dropped)


def _bulleted(text: str) -> str:
    """A list whose first point the model wrote without its "- " (the others
    with one): bulleted like the others; a heading ("主要举措如下：") stays."""
    first, _, rest = text.partition("\n")
    points = rest.split("\n") if rest else []
    if points and all(p.startswith("- ") for p in points) and not first.startswith("- ") \
            and not first.rstrip().endswith(("：", ":")):
        return f"- {text}"
    return text


def _enumerated(raw: str, draft: Draft, info: QuestionInfo, passages: list, weight) -> Draft | None:
    """A list whose items one passage sentence enumerates: that enumeration
    first, whole and cited (enumeration.py); the model's other items after it,
    each aligned and cited as usual."""
    items = [i.text for i in split_items(raw)]
    run = enumeration(items, passages, info)
    if run is None:
        return None
    n = run.passage
    lead = run.text(passages[n - 1].chunk.quote)
    covered = compact(lead)[0]
    rest = [t for t in items if compact(clean_answer(t))[0] not in covered]
    head = f"{lead} [{n}]"
    if not rest:
        return Draft(head, spans={n: run.sentence}, stopped=draft.stopped)
    others = attribute("\n".join(f"- {t}" for t in rest), passages, weight, info=info)
    text = f"- {head}\n{others.text}" if others.shown else head  # a first point, bulleted like the others
    return Draft(text, spans={**others.spans, n: run.sentence}, stopped=draft.stopped,
                 dropped=[i.text for i in others.dropped])


def _finished(raw: str, listed: bool, any_text: bool) -> str | None:
    """The points (a list) or, at the token limit, the sentences finished
    before generation stopped; None when nothing was finished."""
    if listed:
        return raw.rsplit("\n", 1)[0] if "\n" in raw else None
    if not any_text:
        return None
    end = max(raw.rfind(p) for p in _SENTENCE_ENDS)
    return raw[:end + 1].strip() if end > 0 else None


def _refuses(raw: str) -> bool:
    """The model says the documents do not answer, and states no figure."""
    return says_not_found(raw[:60]) and not find_numbers(raw)


def _factoid(raw: str, draft: Draft, info: QuestionInfo, passages: list, terms, exact: bool) -> Draft | None:
    """The answer snapped to a passage (None: not found there). A figure found
    only where the passage speaks of another year or place, or of another
    metric, is refused."""
    found = snap(raw, passages, info, partial=not exact)
    if found is None:
        return None
    n = found.passage
    chunk = passages[n - 1].chunk
    lang = "en" if info.english else "zh"
    if not in_scope(info, chunk, found.sentence):
        return Draft(raw, stopped=draft.stopped, unsupported=REASONS["scope", lang])
    value = found.text(chunk.quote).strip()
    if is_directive(normalize(chunk.quote[found.sentence[0]:found.sentence[1]])):
        return Draft(raw, stopped=draft.stopped, unsupported=REASONS["directive", lang])
    if info.expects in FIGURE_TYPES and not find_numbers(value) and not _NUMERAL_RE.search(value):
        return Draft(raw, stopped=draft.stopped, unsupported=REASONS["no_figure", lang])
    clause = _clause(chunk, found.span, found.sentence)
    if info.expects == "percentage" and not PERCENT_VALUE_RE.search(value) and not asked_unit(info.text):
        return Draft(raw, stopped=draft.stopped, refuted=value, unsupported=REASONS["percent", lang])
    latin = [] if info.english else _LATIN_TERM_RE.findall(info.text)
    missing = [t for t in latin if normalize(t) not in normalize(_sentence_text(chunk, found))]
    if info.expects in FIGURE_TYPES and missing:  # "平均PUE": a figure of a sentence without PUE is another metric's
        return Draft(raw, stopped=draft.stopped, refuted=value, unsupported=REASONS["metric", lang].format(clause="、".join(missing)))
    if info.expects in FIGURE_TYPES and terms[2] and (other := _named_elsewhere(info, chunk, found, passages, terms)):
        return Draft(raw, stopped=draft.stopped, refuted=value, unsupported=REASONS["metric", lang].format(clause=other))
    unit = asked_unit(info.text)
    if unit and not unit_agrees(chunk.quote, found.span, unit) and (narrow := figure_in(chunk.quote, found.span, unit)):
        found = replace(found, span=narrow)  # "128批3206项" asked "多少项": the figure in the unit asked
        value = found.text(chunk.quote).strip()
    if unit and not unit_agrees(chunk.quote, found.span, unit):
        return Draft(raw, stopped=draft.stopped, refuted=value, unsupported=REASONS["unit", lang].format(unit=unit))
    # A rate shown with its qualifier names its metric (snapping.rate_scope).
    if info.expects in FIGURE_TYPES and terms[0] and not found.scoped and names_other_metric(info, clause, *terms[:2]):
        return Draft(raw, stopped=draft.stopped, refuted=value, unsupported=REASONS["metric", lang].format(clause=clause.strip()[:40]))
    if info.english:
        english = restate_in_english(value)
        value = f"{value} ({english})" if english else value
    text = f"{value} [{n}]\n“{snippet(chunk.quote, found.span, found.sentence)}” [{n}]"
    return Draft(text, spans={n: found.sentence}, stopped=draft.stopped)


def _named_elsewhere(info: QuestionInfo, chunk, found, passages: list, terms) -> str | None:
    """The question's metric phrase ("产业增加值"), when a passage writes it and
    the answer's sentence does not: the figure is another metric's
    ("数字产业规模9910亿元" for "数字经济核心产业增加值"). A question worded
    away from the report ("上网人数") names no phrase the passages write."""
    phrase = metric_phrase(info, terms[0], terms[1]) if terms[0] else None
    if phrase is None or phrase in normalize(_sentence_text(chunk, found)):
        return None
    return phrase if any(phrase in normalize(h.chunk.quote) for h in passages) else None


def _stated(raw: str, draft: Draft, info: QuestionInfo, passages: list, terms) -> Draft | None:
    """A name, place or date the model wrote inside a sentence restating the
    question ("…他們稱這手法是朝聖者"): what the sentence adds, when a passage
    writes it word for word, shown as a factoid is. Figures are left to the
    sentence's own checks (None)."""
    if info.english or info.expects in FIGURE_TYPES or info.kind in FIGURE_TYPES:
        return None
    part = answer_in_statement(raw, info.text)
    if part is None or part == compact(clean_answer(raw))[0]:
        return None
    found = _factoid(part, draft, info, passages, terms, exact=True)
    return found if found is not None and not found.unsupported else None


def _names_a_file(raw: str, passages: list) -> bool:
    """The answer is the name of an untitled document's file ("1193-38", shown
    to the model as the passage's header), written in no passage's text."""
    answer = compact(clean_answer(raw))[0]
    return bool(answer) and any(
        h.chunk.title == h.chunk.doc_id and answer in compact(h.chunk.title)[0] for h in passages
    ) and not any(answer in compact(h.chunk.quote)[0] for h in passages)


def _sentence_text(chunk, found) -> str:
    return f"{chunk.section_path} {chunk.quote[found.sentence[0]:found.sentence[1]]}"


def _clause(chunk, span: tuple[int, int], sentence: tuple[int, int]) -> str:
    """The clause holding the answer (a table row whole)."""
    if chunk.kind == "table_row":
        return chunk.quote
    return next((chunk.quote[a:b] for (s, clauses) in sentence_units(chunk.quote) if s == sentence
                 for a, b in clauses if a <= span[0] < b), chunk.quote[sentence[0]:sentence[1]])


def snippet(quote: str, span: tuple[int, int], sentence: tuple[int, int]) -> str:
    """The sentence holding the answer, trimmed around it to SNIPPET_CHARS."""
    a, b = sentence
    if b - a > SNIPPET_CHARS:
        half = (SNIPPET_CHARS - (span[1] - span[0])) // 2
        a = max(a, span[0] - max(half, 10))
        b = min(b, a + SNIPPET_CHARS)
    text = quote[a:b].strip().replace("\t", " | ")
    return ("…" if a > sentence[0] else "") + text + ("…" if b < sentence[1] else "")


def _with_english_figures(text: str) -> str:
    """Each 万/亿 figure followed by its English reading, computed here."""
    out, pos = [], 0
    for m in find_numbers(text):
        english = restate_in_english(m.text)
        if english and "(" not in text[m.end:m.end + 2]:
            out.append(text[pos:m.end] + f" ({english})")
            pos = m.end
    return "".join(out) + text[pos:]


__all__ = ["ground", "snippet"]
