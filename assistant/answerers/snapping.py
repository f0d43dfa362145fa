"""A model's short answer snapped to the exact characters of a passage.

A model asked "how many" may write "5191.93 million" for "5191.93万户", or
take a Traditional passage's figure into Simplified. What is shown is never its
text but the passage's: the answer is found in the passages (normalised:
script, width, case and spaces ignored) and the passage's own characters, with
its script and units, are shown. A rate is not a count: when the clause before
the figure qualifies it ("每万人拥有5G基站32.8个") and the question does not,
the qualifier is shown with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..numbers import find_numbers
from ..question import QuestionInfo
from ..relevance.evidence import sentence_units
from ..relevance.metric import UNITS
from ..relevance.years import year_ok
from ..textnorm import normalize
from .attribution import strip_markers, support
from .matching import closest, compact

# An answer is snapped to a partial match only when that match holds at least
# this share of its characters (and every figure it states): "第九位" finds the
# passage's "第九". 0.6 lets a unit or a particle differ, not the substance.
MIN_SHARE = 0.6
# Per-unit qualifiers that turn a count into a rate or an average.
RATE_RE = re.compile(r"每(?:[一二两三四五六七八九十百千万\d.]+)?(?:人|户|家|平方公里|公里|台|个)|人均|户均|平均|万人拥有|百人拥有|千人拥有|密度")
_CLAUSE_START = "，,。；;：:\n（("
_UNIT_AFTER_RE = re.compile(r"\s*(?:[余多])?(?:[万亿萬億千百]{0,2})(?:" + "|".join(re.escape(u) for u in UNITS) + ")")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_ANSWER_EDGE = " \t\"'“”「」『』《》。，,.;；:：!！?？"


@dataclass
class Snap:
    passage: int  # 1-based
    span: tuple[int, int]  # the answer in the passage's quote
    sentence: tuple[int, int]  # the sentence holding it
    scoped: bool = False  # widened to name a rate's qualifier

    def text(self, quote: str) -> str:
        return quote[self.span[0]:self.span[1]]


def clean_answer(text: str) -> str:
    """The model's answer line without markers, bullets or framing punctuation."""
    first = next((line for line in strip_markers(text).splitlines() if line.strip()), "")
    return re.sub(r"^\s*(?:[-*•]|答案?[:：]|Answer:)\s*", "", first).strip(_ANSWER_EDGE)


# A run of this many characters the answer shares with the question is the
# question restated ("…他們稱這手法是" + the answer); two are often the answer's
# own word ("經濟轉型" for a question about "經濟策略").
QUESTION_RUN = 3
# Characters trimmed from the edges of what a statement adds to its question.
_STATEMENT_EDGE = "是的了为与和及在于"


def answer_in_statement(text: str, question: str) -> str | None:
    """What a one-sentence answer adds to the question it restates:
    "閉關鎖國的原因與後金和倭的攻擊相關" for "朝鮮王朝鎖國的原因與什麼事情相關"
    -> "后金和倭的攻击" (normalised; snap finds the passage's own characters).
    None unless it adds one piece of 2 characters or more."""
    answer, _ = compact(clean_answer(text))
    asked, _ = compact(question)
    covered = [False] * len(answer)
    for i in range(len(answer)):
        run = QUESTION_RUN
        while i + run <= len(answer) and answer[i:i + run] in asked:
            run += 1
        if run > QUESTION_RUN:
            covered[i:i + run - 1] = [True] * (run - 1)
    pieces = [p for p in re.split(r"[^\w]+", "".join(c if not hit else " " for c, hit in zip(answer, covered)))
              if len(p) >= 2]
    if len(pieces) != 1:  # the question's words and one answer, or a sentence of its own
        return None
    best = pieces[0]
    while best and (best[0] in _STATEMENT_EDGE or best[:2] in asked):
        best = best[1:] if best[0] in _STATEMENT_EDGE else best[2:]
    while best and (best[-1] in _STATEMENT_EDGE or best[-2:] in asked):
        best = best[:-1] if best[-1] in _STATEMENT_EDGE else best[:-2]
    return best if len(best) >= 2 else None


def _occurrences(needle: str, quote: str) -> list[tuple[int, int]]:
    hay, where = compact(quote)
    out, start = [], hay.find(needle)
    while start >= 0 and needle:
        out.append((where[start], where[start + len(needle) - 1] + 1))
        start = hay.find(needle, start + 1)
    return out


def _longest_shared(needle: str, quote: str) -> tuple[int, int] | None:
    """The longest piece of `needle` (at least MIN_SHARE of it) found in `quote`."""
    hay, _ = compact(quote)
    for size in range(len(needle), max(1, int(len(needle) * MIN_SHARE + 0.999)) - 1, -1):
        for a in range(0, len(needle) - size + 1):
            piece = needle[a:a + size]
            if piece in hay and all(n.text in piece for n in find_numbers(needle)):
                return _occurrences(piece, quote)[0]
    return None


def snap(answer: str, passages: list, info: QuestionInfo, partial: bool = True) -> Snap | None:
    """Where in the passages the model's short answer stands: among all its
    occurrences, one in a sentence about the year asked, then the sentence that
    shares most with the question, then the best-ranked passage. `partial`:
    else the longest piece of it holding MIN_SHARE of it and its figures."""
    cleaned = clean_answer(answer)
    needle, _ = compact(cleaned)
    if info.english and not _CJK_RE.search(cleaned) and find_numbers(cleaned):
        # "2495 million": the figure's digits, read with the passage's own unit.
        needle = find_numbers(cleaned)[0].text.split()[0].rstrip("万亿萬億千百%％")
    if len(needle) < 1:
        return None
    found = _candidates(needle, passages, info, "exact") or (
        _candidates(needle, passages, info, "shared") or _candidates(needle, passages, info, "closest")
        if partial else [])
    if not found:
        return None
    _, n, span, sentence = max(found, key=lambda f: f[0])
    quote = passages[n - 1].chunk.quote
    span = with_unit(quote, span)
    wider = rate_scope(info, quote, span)
    return Snap(n, wider or span, sentence, scoped=wider is not None)


_MATCHERS = {
    "exact": _occurrences,
    "shared": lambda needle, quote: [s for s in [_longest_shared(needle, quote)] if s],
    "closest": lambda needle, quote: [s for s in [closest(needle, quote)] if s],
}


def _candidates(needle: str, passages: list, info: QuestionInfo, how: str) -> list:
    found = []
    for n, hit in enumerate(passages, 1):
        quote = hit.chunk.quote
        spans = _MATCHERS[how](needle, quote)
        for span in spans:
            # A table row is read whole: caption, header and row (evidence.sentence_units).
            units = sentence_units(quote, hit.chunk.kind == "table_row")
            sentence = next((s for s, _ in units if s[0] <= span[0] < s[1]), (0, len(quote)))
            dated = _year_stated(info, hit.chunk, sentence)
            found.append(((dated, support(info.text, quote[sentence[0]:sentence[1]]), -n), n, span, sentence))
    return found


def _year_stated(info: QuestionInfo, chunk, sentence: tuple[int, int]) -> bool:
    header = normalize(f"{chunk.title} {' '.join(chunk.section)}")
    return year_ok(info.years, chunk, normalize(chunk.quote[sentence[0]:sentence[1]]), header, normalize(chunk.quote))


def with_unit(quote: str, span: tuple[int, int]) -> tuple[int, int]:
    """A figure ending the span keeps the unit that follows it ("34" -> "34个",
    "2495万" -> "2495万人", "8400" -> "8400余个")."""
    last = quote[span[0]:span[1]].rstrip()[-1:]
    if not (last.isdigit() or last in "万亿萬億千百") or not find_numbers(quote[span[0]:span[1]]):
        return span
    m = _UNIT_AFTER_RE.match(quote, span[1])
    return (span[0], m.end()) if m else span


def rate_scope(info: QuestionInfo, quote: str, span: tuple[int, int]) -> tuple[int, int] | None:
    """For a figure a qualifier before it makes a rate ("每万人拥有5G基站32.8个")
    that the question does not ask about: the span widened to the clause start."""
    if not find_numbers(quote[span[0]:span[1]]):
        return None
    start = span[0]
    while start > 0 and quote[start - 1] not in _CLAUSE_START:
        start -= 1
    lead = quote[start:span[0]]
    m = RATE_RE.search(normalize(lead))
    if not m or m.group() in normalize(info.text):
        return None
    return (start + len(lead) - len(lead.lstrip()), span[1])


__all__ = ["Snap", "clean_answer", "compact", "rate_scope", "snap"]
