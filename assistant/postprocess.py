"""Checks applied to every answer, whoever wrote it: citation markers must point
at a passage that was given, every sentence should cite one, and every number
must appear in the cited passages."""

from __future__ import annotations

import re

from .answer import Citation
from .answerers.base import NOT_FOUND_RE as _NOT_FOUND_RE, says_not_found
from .answerers.conflicts import CONFLICT_HEADINGS, HEADINGS, same_figure
from .relevance.evidence import sentence_units
from .relevance.years import year_ok
from .numbers import find_numbers, unverified_numbers
from .textnorm import normalize

# [1], [1][2], [1, 2], 【1】 as models variously write them.
_MARKER_RE = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
UNCITED_MARK = " [?]"


def validate_citations(text: str, n_passages: int) -> tuple[str, list[int]]:
    """Drop markers that point outside 1..n_passages; return text and cited numbers."""
    cited: list[int] = []

    def fix(m: re.Match) -> str:
        good = [int(x) for x in re.split(r"\s*[,，、]\s*", m.group(1)) if 1 <= int(x) <= n_passages]
        cited.extend(n for n in good if n not in cited)
        return "".join(f"[{n}]" for n in good)

    return _MARKER_RE.sub(fix, text), cited


def mark_uncited(text: str, min_chars: int = 8) -> tuple[str, list[str]]:
    """Append UNCITED_MARK to sentences that state something without a citation.
    Sentences shorter than `min_chars` (labels, "是的。") are left alone."""
    uncited: list[str] = []
    out, pos = [], 0
    for m in _SENTENCE_RE.finditer(text):
        sentence = m.group()
        out.append(text[pos : m.start()])
        core = sentence.strip()
        needs = (
            len(core) >= min_chars and "[" not in core and not core.startswith(("“", "\"", "-", *CONFLICT_HEADINGS))
            and not _NOT_FOUND_RE.search(core)
        )
        if needs and m.end() < len(text) and text[m.end() : m.end() + 1] == "[":
            needs = False  # the marker follows the sentence end: "…。[1]"
        if needs:
            uncited.append(core)
            sentence = sentence.rstrip() + UNCITED_MARK
        out.append(sentence)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), uncited


def support_span(text: str, n: int, quote: str) -> tuple[int, int] | None:
    """For a generated answer: the sentence of `quote` that shares the most numbers
    (then characters) with the answer sentences citing [n]."""
    claims = " ".join(s for s in _SENTENCE_RE.findall(text) if f"[{n}]" in s)
    if not claims:
        return None
    wanted = {m.text for m in find_numbers(claims)}
    best, best_score = None, 0.0
    for m in _SENTENCE_RE.finditer(quote):
        s = m.group()
        score = 10 * len(wanted & {x.text for x in find_numbers(s)}) + len(set(s) & set(claims)) / (len(s) + 1)
        if score > best_score:
            best, best_score = (m.start(), m.end()), score
    return best


def build_citations(text: str, cited: list[int], passages: list, spans: dict) -> list[Citation]:
    out = []
    for n in sorted(cited):
        chunk = passages[n - 1].chunk
        span = spans.get(n) or support_span(text, n, chunk.quote)
        out.append(Citation.from_chunk(n, chunk, span))
    return out


def check_numbers(text: str, citations: list[Citation], passages: list, question: str = "") -> list[str]:
    """Numbers in the answer not found in the cited passages (or, if nothing is
    cited, in any passage). Headers count ("2024年" can come from a title), and so
    does the question (an answer may repeat the years it was asked about)."""
    sources = citations or []
    if sources:
        evidence = [f"{c.title} {c.section_path} {c.date or ''} {c.year or ''}\n{c.quote}" for c in sources]
    else:
        evidence = [f"{h.chunk.section_path} {h.chunk.date or ''} {h.chunk.year or ''}\n{h.chunk.quote}" for h in passages]
    body = _MARKER_RE.sub(" ", text)
    return unverified_numbers(body, evidence + [question])


def flag_numbers(text: str, missing: list[str], english: bool) -> str:
    if not missing:
        return text
    label = "⚠ Numbers not found in the cited passages: " if english else "⚠ 以下数字未在引用段落中找到："
    return f"{text}\n{label}{'、'.join(missing)}"


def off_year_numbers(text: str, chunks: list, years: list[int], question: str = "") -> list[str]:
    """For a question about one year: numbers of the answer its cited passages
    (`chunks`) state only in sentences about another year (relevance/years.py),
    e.g. the 2023 figure quoted from the 2024 report's "较2023年…" neighbour,
    or a note's "2024年…2495万人" cited for 2022. Numbers not in the passages
    at all are check_numbers' business; the question's own count as stated."""
    if len(years) != 1 or not chunks:
        return []
    stated = [question]
    for chunk in chunks:
        header = normalize(f"{chunk.title} {' '.join(chunk.section)}")
        stated.append(f"{chunk.title} {chunk.section_path} {chunk.date or ''} {chunk.year or ''}")
        quote_norm = normalize(chunk.quote)
        for (a, b), _ in sentence_units(chunk.quote, chunk.kind == "table_row"):
            if year_ok(years, chunk, normalize(chunk.quote[a:b]), header, quote_norm):
                stated.append(chunk.quote[a:b])
    body = _MARKER_RE.sub(" ", text)
    nowhere = set(unverified_numbers(body, [chunk.quote for chunk in chunks] + stated))
    return [n for n in unverified_numbers(body, stated) if n not in nowhere]


def flag_off_year(text: str, off_year: list[str], english: bool) -> str:
    if not off_year:
        return text
    label = ("⚠ Stated in the cited passages for another year: " if english
             else "⚠ 以下数字在引用段落中属于其他年份：")
    return f"{text}\n{label}{'、'.join(off_year)}"


def missing_figures(text: str, conflicts: list[dict]) -> list[str]:
    """The disagreeing figures (Answer.conflicts) an answer leaves out: showing
    one source's figure alone would choose between them silently."""
    said = [m.text for m in find_numbers(_MARKER_RE.sub(" ", text))]
    missing = []
    for conflict in conflicts:
        for figure in conflict["figures"]:
            value = figure["value"]
            if not any(same_figure(value, s) for s in said) and value not in text:
                missing.append(value)
    return missing


def conflict_note(conflicts: list[dict], english: bool) -> str:
    """One ⚠ line under a model's answer listing every disagreeing figure with its [n]."""
    parts = []
    for conflict in conflicts:
        figures = "；".join(f"{f['value']} {''.join(f'[{n}]' for n in f['citations'])}" for f in conflict["figures"])
        parts.append(f"{conflict['scope']}：{figures}" if conflict["scope"] else figures)
    return f"⚠ {HEADINGS['en' if english else 'zh', True]} {' / '.join(parts)}"
