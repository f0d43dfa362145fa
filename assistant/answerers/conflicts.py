"""Documents that state different figures for the same thing: every figure is
shown, each cited to its own passage, and the answer says they disagree.

Which one is right is not the answerer's to decide. Not the passage ranked
first, not the newer document, not one that calls itself a correction: an
uploaded "更正说明：2024年重庆网民规模更正为9999万人" ranked above the report it
"corrected" and its figure was given as the answer. So a figure from one
document is never shown alone while another document, matching the question
as well, states a different one. Nothing here looks at what a document says
about itself; it compares figures only."""

from __future__ import annotations

import re

from ..numbers import find_numbers, is_backed
from ..relevance.evidence import PERCENT_VALUE_RE, Evidence
from ..textnorm import normalize

# Another document's clause states the same thing as the best clause when it
# covers the question's terms nearly as well and scores not far below it: the
# values this rule has used since it listed the seed reports' three IPv6
# figures. Against the notes of tests/test_conflicts.py, ranked first, the
# reports' own clauses scored 0.88-0.91 of the note's score at equal coverage.
COVERAGE_SHARE = 0.85
SCORE_SHARE = 0.6

HEADINGS = {
    # Same year (the question's, or every source's): the documents contradict each other.
    ("zh", True): "资料之间数字不一致：",
    ("en", True): "The documents disagree:",
    # Different years: the figures may both be right, each for its own year.
    ("zh", False): "不同文档给出的数字不同（注意各自的年份）：",
    ("en", False): "The documents give different figures (note their years):",
}
# The headings state no fact of their own (postprocess.mark_uncited lets them be).
CONFLICT_HEADINGS = tuple(HEADINGS.values())

_CN_DIGITS = dict(zip("零一二三四五六七八九", "0123456789"))


def conflicting(evidence: list[Evidence]) -> list[Evidence]:
    """The best clause of each document stating a figure for what the best
    clause states, in rank order, when two of them disagree; else []."""
    if not evidence or evidence[0].value is None:
        return []
    best = evidence[0]
    per_doc: dict[str, Evidence] = {}
    for ev in evidence:
        if ev.chunk.doc_id not in per_doc and _states_the_same(ev, best):
            per_doc[ev.chunk.doc_id] = ev
    chosen = list(per_doc.values())
    return chosen if len(groups(chosen)) > 1 else []


def _states_the_same(ev: Evidence, best: Evidence) -> bool:
    return (
        ev.value is not None
        and (ev is best or not ev.other_metric)
        and _same_kind(ev.value, best.value)
        and _same_unit(ev.value, best.value)
        and ev.coverage >= COVERAGE_SHARE * best.coverage
        and ev.score >= SCORE_SHARE * best.score
    )


def _same_kind(a: str, b: str) -> bool:
    """Both percentages or both amounts: a growth rate does not conflict with a total."""
    return bool(PERCENT_VALUE_RE.search(a)) == bool(PERCENT_VALUE_RE.search(b))


def _same_unit(a: str, b: str) -> bool:
    """Units that differ measure different things ("9540GB" of bandwidth is not
    "2800Gbps"); a figure without a unit ("4723万") may be any ("4147万户")."""
    ua, ub = _unit(a), _unit(b)
    return not ua or not ub or ua == ub


def _unit(value: str) -> str:
    """What follows the last figure and its 万/亿: "9540gb" -> "gb", "4147万户" -> "户"."""
    text = normalize(value)
    last = None
    for last in re.finditer(r"\d[\d.,]*\s*[万亿千百]*", text):
        pass
    return text[last.end():].strip() if last else ""


def same_figure(a: str, b: str) -> bool:
    """The same figure however written: 2495万 = 24,950,000, a table's 825.8
    under "(亿元)" = 825.8亿元, 第九 = 第9."""
    na, nb = find_numbers(_arabic(a)), find_numbers(_arabic(b))
    if na and nb:
        return is_backed(na[-1], [nb[-1]])
    return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)


def _arabic(value: str) -> str:
    """Ranks in Chinese numerals as digits: "第九" -> "第9", "第十二" -> "第12"."""
    def convert(m: re.Match) -> str:
        tens, ten, ones = m.group(1), m.group(2), m.group(3)
        if not (tens or ten or ones):
            return m.group()
        if tens and not ten:  # "第九": a single digit
            tens, ones = None, tens
        n = (int(_CN_DIGITS[tens]) if tens else 1 if ten else 0) * 10 + (int(_CN_DIGITS[ones]) if ones else 0)
        return f"第{n}"

    return re.sub("第([一二三四五六七八九])?(十)?([一二三四五六七八九])?", convert, value)


def groups(evidence: list[Evidence]) -> list[list[Evidence]]:
    """The clauses grouped by the figure they state, in order of first appearance."""
    out: list[list[Evidence]] = []
    for ev in evidence:
        group = next((g for g in out if same_figure(g[0].value, ev.value)), None)
        if group is None:
            out.append([ev])
        else:
            group.append(ev)
    return out


def same_year(evidence: list[Evidence], years: list[int]) -> bool:
    """Whether the figures are for one year: the one year asked about (every
    clause was accepted for it), or every source's own year."""
    if len(years) == 1:
        return True
    found = {ev.chunk.year for ev in evidence}
    return len(found) == 1 and None not in found


def source_label(ev: Evidence, english: bool) -> str:
    c = ev.chunk
    if english:
        when = ", ".join(x for x in (str(c.year) if c.year else "", f"published {c.date}" if c.date else "") if x)
        return f"{c.title} ({when or 'undated'})"
    when = "，".join(x for x in (f"{c.year}年" if c.year else "", f"{c.date}发布" if c.date else "") if x)
    return f"{c.title}（{when or '日期不详'}）"


def conflict_lines(evidence: list[Evidence], years: list[int], english: bool = False) -> list[str]:
    """The heading and one line per source: its title and date, the figure, [n]."""
    lang = "en" if english else "zh"
    lines = [HEADINGS[(lang, same_year(evidence, years))]]
    sep = ": " if english else "："
    for ev in evidence:
        lines.append(f"- {source_label(ev, english)}{sep}{ev.value} [{ev.passage + 1}]")
    return lines


def conflict_record(evidence: list[Evidence], years: list[int], scope: str | None = None) -> dict:
    """The machine-readable form (Answer.conflicts): which figures, from which
    cited passages, and whether they are for the same year."""
    return {
        "scope": scope,
        "same_year": same_year(evidence, years),
        "figures": [
            {"value": group[0].value, "citations": [ev.passage + 1 for ev in group],
             "doc_ids": [ev.chunk.doc_id for ev in group]}
            for group in groups(evidence)
        ],
    }


def spans_of(evidence: list[Evidence]) -> dict[int, tuple[int, int]]:
    return {ev.passage + 1: ev.support() for ev in evidence}
