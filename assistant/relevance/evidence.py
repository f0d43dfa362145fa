"""Find the clause in the retrieved passages that answers a question, and the
value in it: the evidence both the extractive answerer and the abstention gate
use. Pure string work on the passages; nothing here invents text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..chunking.chunker import Chunk
from ..question import GAZETTEER, PROVINCES, QuestionInfo
from ..textnorm import aligned_normalize, normalize
from .directives import DIRECTIVE_FACTOR, is_directive
from .metric import (
    UNIT_PATTERN, UNITS, asked_unit, focus_term, modifier_factor, phrase_weights, term_weights, value_precedes, written_in,
)
from .years import year_ok

_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
# Clause ends: Chinese commas/colons, or an ASCII comma that is not a thousands separator.
_CLAUSE_RE = re.compile(r"(?:[^，,、：:]|(?<=\d),(?=\d{3}))+(?:[，,、：:])?")
VALUE_RE = re.compile(
    rf"(?:超过|超|近|约|逾|接近|不到)?(?<![\d.])\d+(?:[.,]\d+)*(?:[万萬亿億千]{{0,2}})(?:余|多)?(?:{UNIT_PATTERN})?",
    re.I,  # matched on lower-cased text: "gb", "eflops"
)
RANK_RE = re.compile(
    r"(?:全国|全省|全市|西部|中西部|全球|世界|国内|前)?"
    r"(?:第[一二三四五六七八九十百\d]+(?:位|名)?|前\d+(?:位|名)?|首位|榜首|第一梯队|第一方阵)"
)
# A value that is a share, not an amount.
PERCENT_VALUE_RE = re.compile(r"%|％|百分点|成$")
_RANK_RANGE_RE = re.compile(r"\s*[~～至\-—]\s*\d+\s*[位名]")
_ORDINAL_RE = re.compile(r"第(?:几|多少)([\u4e00-\u9fff])")
# Single-character measure words, plus the ordinal-only ones ("第三代", "第二任").
_COUNTERS = frozenset(u for u in UNITS if len(u) == 1 and u >= "\u4e00") | set("代对任集章回季版号班")
_YEAR_VALUE_RE = re.compile(r"^(?:19|20)\d{2}年?$")
_PERCENT_HINT = re.compile(r"率|比重|占比|比例|增速|增长|提升|下降|百分")


@dataclass
class Evidence:
    passage: int  # 0-based index into the passages
    chunk: Chunk
    sentence: tuple[int, int]  # span in chunk.quote
    clause: tuple[int, int]
    score: float
    coverage: float  # share of the question's term weight found near the clause
    value: str | None = None
    value_span: tuple[int, int] | None = None
    # The counted thing carries a modifier the question lacks ("网络安全业务收入"
    # for "软件业务收入"): the clause measures another metric.
    other_metric: bool = False
    # The sentence scorer's score (relevance/scoring.py), once it has ranked this clause.
    rank_score: float | None = None

    @property
    def quote(self) -> str:
        return self.chunk.quote

    def support(self) -> tuple[int, int]:
        """Span of the supporting text in the quote: the clause holding the value."""
        if self.value_span is None or self.chunk.kind == "table_row":
            return self.clause
        s0, s1 = self.sentence
        for m in _CLAUSE_RE.finditer(self.quote[s0:s1]):
            if s0 + m.start() <= self.value_span[0] < s0 + m.end():
                return (s0 + m.start(), s0 + m.end())
        return self.clause

    def snippet(self, width: int = 48) -> str:
        """The supporting text: the clause plus whole neighbouring clauses of its
        sentence while it stays within ~width characters (never a cut number)."""
        s0, s1 = self.sentence
        clauses = [
            (s0 + m.start(), s0 + m.end()) for m in _CLAUSE_RE.finditer(self.quote[s0:s1])
        ] or [(s0, s1)]
        core = self.support()
        i = next((k for k, c in enumerate(clauses) if c[0] <= core[0] < c[1]), 0)
        lo = hi = i
        while True:
            grown = False
            if hi + 1 < len(clauses) and clauses[hi + 1][1] - clauses[lo][0] <= width:
                hi, grown = hi + 1, True
            if lo > 0 and clauses[hi][1] - clauses[lo - 1][0] <= width:
                lo, grown = lo - 1, True
            if not grown:
                break
        a, b = clauses[lo][0], clauses[hi][1]
        text = self.quote[a:b].strip().rstrip("，,、：:").replace("\t", " | ")
        return ("…" if a > s0 else "") + text + ("…" if b < s1 else "")


_TERM_RES: dict[str, re.Pattern] = {}


def _term_re(term: str) -> re.Pattern:
    """Exact, or for 3+ characters the characters in order with at most one other
    between them: "连接数" matches "连接总数", "国家级绿色工厂" its variants."""
    pattern = _TERM_RES.get(term)
    if pattern is None:
        body = ".?".join(map(re.escape, term)) if len(term) >= 3 and not term.isascii() else re.escape(term)
        pattern = _TERM_RES[term] = re.compile(body)
    return pattern


def sentence_units(quote: str, table_row: bool = False):
    if table_row:  # caption, header and row are read together
        yield (0, len(quote)), [(0, len(quote))]
        return
    for s in _SENTENCE_RE.finditer(quote):
        clauses = [(s.start() + c.start(), s.start() + c.end()) for c in _CLAUSE_RE.finditer(s.group())]
        yield (s.start(), s.end()), clauses or [(s.start(), s.end())]


def _topic_terms(weights: dict[str, float], chunk: Chunk, qn: str) -> set[str]:
    """Question terms in a document's opening sentence, which names what the
    document is about; a header does the same for titled sections, so the two
    count alike. Only when it names the question's rarest term (its subject:
    not for "黑尾雀鲷" in a document on "白尾雀鲷"), and only in the opening
    chunk: later chunks do not carry it."""
    if chunk.start != 0 or chunk.kind == "table_row" or not weights:
        return set()
    first = next(_SENTENCE_RE.finditer(qn), None)
    matched = _matched(weights, first.group()) if first else set()
    return matched if max(weights, key=weights.get) in matched else set()


def _matched(terms: dict[str, float], text: str) -> set[str]:
    return {t for t in terms if t in text or _term_re(t).search(text)}


def place_scope(info: QuestionInfo, header_norm: str, quote_norm: str) -> tuple[str, ...] | None:
    """The places a sentence itself must name to be evidence (none when the
    title names them all), or None when the passage is not about them. In a
    report on another place (数字四川…) a sentence must name the place asked
    about: "成都至重庆直达带宽" does not make the report's figures Chongqing's."""
    missing = tuple(p for p in info.places if p not in header_norm)
    if not missing:
        return ()
    if not all(p in quote_norm for p in missing):
        return None
    foreign = any(g in header_norm for g in GAZETTEER if g not in info.places)
    return missing if foreign else ()


def other_province(places: list[str], sentence_norm: str) -> bool:
    """The sentence names a province-level place and none asked about:
    "2024年四川电信业务收入…" is not about 重庆 even in a note whose title
    names 重庆. Cities are left alone: "成都…" may well be about 四川."""
    asked = [p for p in places if p in PROVINCES]
    if not asked or any(p in sentence_norm for p in asked):
        return False
    return any(p in sentence_norm for p in PROVINCES)


def find_evidence(info: QuestionInfo, passages: list, idf, limit: int = 8, known=None) -> list[Evidence]:
    """Candidate clauses from the passages, best first. `passages` are SearchHits."""
    weights = term_weights(info, idf, known)
    phrases = phrase_weights(info, weights)
    total = (sum(weights.values()) + sum(phrases.values())) or 1.0
    focus = focus_term(info, weights)
    out: list[Evidence] = []
    for i, hit in enumerate(passages):
        chunk = hit.chunk
        quote = chunk.quote
        qn = aligned_normalize(quote)
        header = normalize(f"{chunk.title} {' '.join(chunk.section)}")
        must_name = place_scope(info, header, qn)
        if must_name is None:
            continue
        in_header = _matched(weights, header)
        topic = _topic_terms(weights, chunk, qn)
        rank_bonus = 0.3 / (i + 1)
        for sent, clauses in sentence_units(quote, chunk.kind == "table_row"):
            s_terms = _matched(weights, qn[sent[0] : sent[1]])
            # A sentence without a subject ("水深0.5至3公尺。") is about the document's topic.
            in_header = in_header | topic if sent[0] > 0 else in_header
            s_text = qn[sent[0] : sent[1]]
            if (
                not s_terms
                or not year_ok(info.years, chunk, s_text, header, qn)
                or not all(p in s_text for p in must_name)
                or other_province(info.places, s_text)
            ):
                continue
            s_phrases = {p for p in phrases if p in s_text or p in header}
            # A question or an instruction in a passage states no fact (and may be
            # a prompt injection): it only wins when nothing else matches.
            s_factor = DIRECTIVE_FACTOR if is_directive(s_text) else 1.0
            for clause in clauses:
                c_text = qn[clause[0] : clause[1]]
                c_terms = _matched(weights, c_text)
                modifier = modifier_factor(focus, c_text, info) if focus in c_terms else 1.0
                near = c_terms | s_terms | in_header
                coverage = (sum(weights[t] for t in near) + sum(phrases[p] for p in s_phrases)) / total
                score = (
                    sum(weights[t] for t in c_terms)
                    + (weights[focus] * modifier if focus in c_terms else 0.0)
                    + sum(phrases[p] for p in s_phrases if p in c_text)
                    + 0.6 * sum(weights[t] for t in s_terms - c_terms)
                    + 0.4 * sum(weights[t] for t in in_header - s_terms)
                ) / total + rank_bonus
                ev = Evidence(i, chunk, sent, clause, score * s_factor, coverage, other_metric=modifier < 1.0)
                _attach_value(info, ev, qn, weights, focus)
                if info.kind in ("quantity", "rank") and ev.value is None:
                    ev.score *= 0.6  # a figure was asked for and this clause has none
                out.append(ev)
    out.sort(key=lambda e: -e.score)
    return out[:limit]


def _attach_value(info: QuestionInfo, ev: Evidence, qn: str, weights: dict[str, float], focus=None) -> None:
    if ev.chunk.kind == "table_row":
        _table_value(info, ev)
        return
    if info.kind not in ("quantity", "rank"):
        return
    pattern = RANK_RE if info.kind == "rank" else VALUE_RE
    before = value_precedes(info, focus)
    unit = asked_unit(info.text) if info.kind == "quantity" else None
    asks_rate = bool(_PERCENT_HINT.search(normalize(info.text)))
    counter = _ordinal_counter(info) if info.kind == "rank" else None
    # The value next to what is counted (the focus term, else the last question
    # term) in the sentence, preferring the matched clause. Matching runs on the
    # normalised text so Traditional units (萬臺) read like Simplified ones.
    for lo, hi in (ev.sentence,):
        spans = _focus_spans(qn, lo, hi, focus)
        if not spans:
            anchor = max((qn.rfind(t, lo, hi) + len(t) for t in weights if qn.rfind(t, lo, hi) >= 0), default=lo)
            spans = [(anchor, anchor)]
        best = None
        for m in pattern.finditer(qn, lo, hi):
            text = m.group()
            if info.kind == "quantity" and (
                _YEAR_VALUE_RE.match(text)
                or not re.search(r"\d", text)
                or re.fullmatch(r"[2-6][gG]", text)  # "5G" names a technology
                # Bare digits glued to a Latin letter are part of a name ("IPv6",
                # "V2V"), not a figure: "重庆IPv6…是多少" was answered "6". With a
                # unit they are a figure ("KPI369个"), as in numbers.py.
                or (re.fullmatch(r"[\d.,]+", text) and re.match("[a-z]", qn[max(0, m.start() - 1) : m.start()]))
                or qn[max(0, m.start() - 1) : m.start()] == "第"  # a rank, not a count
                # "分列2~5位": positions, not amounts
                or _RANK_RANGE_RE.match(qn, m.end())
                or (text[-1] in "位名" and qn[max(0, m.start() - 1) : m.start()] in ("~", "～", "至", "-", "—"))
            ):
                continue
            gaps = [g for g in (_gap(m, span, before) for span in spans) if g is not None]
            if not gaps:
                continue
            distance = min(gaps)
            percent = "%" in text or "百分点" in text
            if info.kind == "quantity" and percent != asks_rate:
                distance += 40  # asked for a rate but this is a count, or the reverse
            if unit and not written_in(qn, m.start(), unit):  # qn is normalised once per question
                # Another unit than asked ("惠及多少人": "3119.54亿元", "3973.52万人"): a
                # figure in the unit asked comes first. Not excluded: "多少人" is answered
                # "78万人次", and excluding refused 4 right seed answers (docs/results.md).
                distance += 40
            if not (ev.clause[0] <= m.start() < ev.clause[1]):
                distance += 6  # prefer the clause that matched the question
            if best is None or distance < best[0]:
                best = (distance, m.start(), m.end())
        if best:
            end = best[2]
            if counter and end < hi and qn[end] == counter:
                end += 1  # "第几届": "第十三届", as the passage writes it
            ev.value = ev.quote[best[1] : end]
            ev.value_span = (best[1], end)
            return


def _ordinal_counter(info: QuestionInfo) -> str | None:
    """The measure word an ordinal question counts in: 届 in "第多少届", 张 in
    "第几张"; none in "第几背鳍" (a part's name, not a measure word)."""
    m = _ORDINAL_RE.search(normalize(info.text))
    return m.group(1) if m and m.group(1) in _COUNTERS else None


def _focus_spans(qn: str, lo: int, hi: int, focus) -> list[tuple[int, int]]:
    """Every mention of the counted word in the sentence: "“未来果园”模式汇聚3637家种植
    主体、22.31万亩脆李果园数据" names 果园 twice, and 22.31万亩 sits by the second."""
    if not focus:
        return []
    return [(lo + m.start(), lo + m.end()) for m in re.finditer(re.escape(focus), qn[lo:hi])]


def _gap(m: re.Match, span: tuple[int, int], before: bool):
    """How far a figure stands from one mention of what it counts, or None when too
    far. Figures sit right after what they count ("网民规模达2495万人") or right
    before it ("19项指标")."""
    f_start, f_end = span
    if m.end() <= f_start:
        gap = f_start - m.end()
        return None if gap > 12 else gap * (1 if before else 3)
    if m.start() >= f_end:
        gap = m.start() - f_end
        return None if gap > 15 else gap * (1.5 if before else 1)
    return 0  # overlaps the focus term: "全国第九" for focus "全国"


def _table_value(info: QuestionInfo, ev: Evidence) -> None:
    """Table rows (quote = caption, header row, data row): the cell under a header
    the question names (transposed tables: "数之联排名第几"), the column holding a
    number the question names ("排名第99的是哪家"), else the row's last figure
    labelled with the row's metric name."""
    quote = ev.quote
    row_start = quote.rfind("\n") + 1
    header = quote[: max(0, row_start - 1)].rsplit("\n", 1)[-1]
    h_cells = header.split("\t")
    cells: list[tuple[str, int | None]] = []
    pos = row_start
    for cell in quote[row_start:].split("\t"):
        cells.append((cell.strip(), pos + len(cell) - len(cell.lstrip())))
        pos += len(cell) + 1
    if len(cells) < len(h_cells):  # merged cells: align from the right
        cells = [("", None)] * (len(h_cells) - len(cells)) + cells
    h_cells = [""] * (len(cells) - len(h_cells)) + h_cells
    ev.sentence = ev.clause = (row_start, len(quote))
    qn = normalize(info.text)
    q_numbers = set(re.findall(r"\d+(?:\.\d+)?", qn))

    def pick(j: int, text: str) -> None:
        ev.value = text
        ev.value_span = (cells[j][1], cells[j][1] + len(cells[j][0]))

    for j, h in enumerate(h_cells):
        if j and len(h) >= 2 and normalize(h) in qn and cells[j][0] and cells[j][1] is not None:
            return pick(j, f"{h}：{cells[j][0]}")
    for j, (cell, start) in enumerate(cells):
        if j and start is not None and cell in q_numbers and h_cells[j]:
            return pick(j, f"{h_cells[j]}：{cell}")
    numeric = [j for j, (c, start) in enumerate(cells) if start is not None and re.search(r"\d", c)]
    if numeric:
        j = numeric[-1]
        label = next((cells[k][0] for k in range(j - 1, -1, -1) if re.search(r"[^\d\s.]", cells[k][0])), h_cells[j])
        pick(j, f"{label}：{cells[j][0]}")


def idf_from(engine):
    """Term weight from the index's document frequencies (BM25 idf); a term the
    corpus never contains gets the highest weight, so it drags coverage down."""
    return engine.idf


def known_from(engine):
    """term -> bool: does the indexed corpus contain this (jieba) word at all."""
    return engine.known
