"""What a figure measures: the term a question counts ("多少项指标" -> "指标"),
the phrase it names it by, and whether a clause's figure is of that metric or
of another one ("网络安全业务收入" for "软件业务收入"). Used by the evidence
finder (evidence.py) and by the grounding of model answers."""

from __future__ import annotations

import re

from ..question import GRAMMAR_WORDS, SOFT_TERMS, QuestionInfo
from ..textnorm import CJK, aligned_normalize, normalize

UNITS = sorted(
    """万人次 人次 万人 万户 万个 万家 万台 万张 万条 万件 万次 万亿元 亿元 万元 元 亿美元 美元 亿次 亿条 亿个 亿户
    亿人 亿G 亿GB GB TB PB EFLOPS Gbps Mbps G P T 个百分点 百分点 % 公里 千米 小时 分钟 毫秒 年 个 人 户 家
    台 张 条 件 次 项 所 座 部 辆 艘 类 款 批 场 门 名 位 篇 册 倍 套 种 千瓦 kW 吨 平方公里 万亩 亩 余项
    颗 枚 架 只 头 株 份 段 处 道 期 届 轮 支 组 片 栋 间 层 站 宗 笔 单 起 例 针 剂 床
    页 公尺 公分 厘米 毫米 米 公斤 千克 克 岁 天 周 个月 平方米 平方公尺 平方公分 平方厘米 立方米 公顷""".split(),
    key=len, reverse=True,
)
UNIT_PATTERN = "|".join(re.escape(u) for u in UNITS)
# A figure right before the counted word: digits, unit optional ("19项"), or
# Chinese numerals, with their unit or of two characters at least ("三十条幼蛇",
# where jieba keeps "条幼蛇" as one term; a lone "一" is part of a word).
_FIGURE_END_RE = re.compile(
    rf"(?:\d(?:[万亿千百]{{0,2}}(?:{UNIT_PATTERN}))?|[零〇一二两三四五六七八九十百千]+[万亿]?(?:{UNIT_PATTERN})"
    rf"|[零〇一二两三四五六七八九十百千万亿]{{2,}})$")

# The unit a figure question asks in ("多少万辆" -> "万辆"), and a figure as a
# passage writes it, then its unit (after "余"/"多": "8400余个").
_ASKED_UNIT_RE = re.compile(rf"(?:多少|几)((?:[万亿千百]{{0,2}})(?:{UNIT_PATTERN}))")
_FIGURE_UNIT_RE = re.compile(rf"[\d.,]*\d(?:\s*[余多])?\s*((?:[万亿千百]{{0,2}})(?:{UNIT_PATTERN}))?")
# The first figure of a range or a size ("10至20万人", "39.5乘39平方公分") takes the
# unit written after the second one.
_RANGE_UNIT_RE = re.compile(
    rf"[\d.,]*\d\s*(?:乘以?|×|[xX*]|至|到|~|～|-|—)\s*[\d.,]*\d(?:\s*[余多])?\s*((?:[万亿千百]{{0,2}})(?:{UNIT_PATTERN}))")


def asked_unit(question: str) -> str | None:
    """The unit a figure question names ("多少万辆" -> "万辆", "几个" -> "个")."""
    m = _ASKED_UNIT_RE.search(normalize(question))
    return m.group(1) if m else None


def unit_agrees(quote: str, span: tuple[int, int], unit: str) -> bool:
    """The passage writes the figure with the unit asked, or with none it names
    right there (a table's unit is in its header). "8400余个" does not answer
    "多少万辆"; "2495万人" answers "多少万人" and "多少人"."""
    return written_in(normalize(quote), span[0], unit)


def written_in(norm: str, start: int, unit: str) -> bool:
    """`unit_agrees` on text already normalised: the figure at `start`."""
    m = _FIGURE_UNIT_RE.match(norm, start)
    if m is not None and not m.group(1):
        m = _RANGE_UNIT_RE.match(norm, start)
    if m is None or not m.group(1):
        return True
    written = m.group(1)
    return written == unit or written.endswith(unit) or unit.endswith(written)


def figure_in(quote: str, span: tuple[int, int], unit: str) -> tuple[int, int] | None:
    """The span of the figure inside `span` written with `unit`, if any."""
    text = normalize(quote)
    for m in _FIGURE_UNIT_RE.finditer(text, span[0], span[1]):
        if m.group(1) and written_in(text, m.start(), unit):
            return m.start(), m.end()
    return None


def term_weights(info: QuestionInfo, idf, known=None) -> dict[str, float]:
    """idf per content term. A term the corpus does not know is usually a real gap
    (kept, with the top weight: it lowers coverage: "常住人口"), but a 2-character
    unknown is mostly jieba gluing words across a boundary ("家规" from
    "多少家规上", "比是" from "占比是"): those are dropped."""
    weights: dict[str, float] = {}
    for t in info.terms:
        if known is not None and len(t) <= 2 and not t.isascii() and not known(t):
            continue
        # Soft verbs and single characters say little about what is asked.
        weights[t] = idf(t) * (0.3 if t in SOFT_TERMS else 0.5 if len(t) == 1 else 1.0) * info.term_factors.get(t, 1.0)
    return weights


def phrase_weights(info: QuestionInfo, weights: dict[str, float]) -> dict[str, float]:
    """Adjacent terms of the question as one phrase ("软件"+"业务收入"): evidence
    that has the words but not the phrase is about something else (网络安全业务收入)."""
    text = normalize(info.text)
    terms = sorted((text.find(t), t) for t in weights if text.find(t) >= 0)
    out = {}
    for (p1, t1), (p2, t2) in zip(terms, terms[1:]):
        if p1 + len(t1) == p2 and len(t1) + len(t2) >= 4:
            out[t1 + t2] = 0.5 * min(weights[t1], weights[t2])
    return out


_QWORD_RE = re.compile(r"多少|几|是什么|哪|第几|how many|how much")


def focus_term(info: QuestionInfo, weights: dict[str, float]) -> str | None:
    """What is being counted: the term right after the question word ("多少项指标"
    -> "指标"), else the content term nearest before it ("…注册量超过多少" -> "注册量")."""
    text = normalize(info.text)
    m = _QWORD_RE.search(text)
    end = m.start() if m else len(text)
    candidates = [t for t in weights if t not in SOFT_TERMS and len(t) >= 2]
    if m:
        after = [(text.find(t, m.end()), t) for t in candidates if 0 <= text.find(t, m.end()) - m.end() <= 2]
        if after:
            return min(after)[1]
    best, best_pos = None, -1
    for t in candidates:
        pos = text.rfind(t, 0, end)
        if pos > best_pos:
            best, best_pos = t, pos
    return best


def names_other_metric(info: QuestionInfo, clause: str, idf, known=None) -> bool:
    """The clause states what the question counts with a modifier the question
    lacks ("网络安全业务收入" for "软件业务收入"): its figure is another metric.
    Silent (False) when the clause does not name the counted thing at all: a
    paraphrase is not judged here."""
    weights = term_weights(info, idf, known)
    focus = focus_term(info, weights)
    clause_norm = aligned_normalize(clause)
    return bool(focus) and focus in clause_norm and modifier_factor(focus, clause_norm, info) < 1.0


def metric_phrase(info: QuestionInfo, idf, known=None) -> str | None:
    """The question's metric in the documents' words: the counted term with the
    term written right before it ("核心产业增加值" -> "产业增加值"), at least 4
    characters; None when the counted term stands alone."""
    weights = term_weights(info, idf, known)
    focus = focus_term(info, weights)
    if focus is None:
        return None
    text = normalize(info.text)
    before = [t for t in weights if len(t) >= 2 and text.endswith(t, 0, text.find(focus))]
    phrase = max(before, key=len) + focus if before else ""
    return phrase if len(phrase) >= 4 else None


def value_precedes(info: QuestionInfo, focus: str | None) -> bool:
    """"多少项指标": the figure comes before the counted word ("19项指标")."""
    if focus is None:
        return False
    text = normalize(info.text)
    m = _QWORD_RE.search(text)
    return bool(m) and m.start() < text.find(focus)


def modifier_factor(focus: str, clause_norm: str, info: QuestionInfo) -> float:
    """1.0, or 0.5 when the focus term carries a modifier the question lacks:
    "农产品网络零售额" does not answer a question about "网络零售额". Every
    mention counts: a table row's category cell ("投资收入指标") comes before
    the metric it holds ("电信业务收入(亿元)")."""
    question = normalize(info.text)
    starts = [m.start() for m in re.finditer(re.escape(focus), clause_norm)] or [clause_norm.find(focus)]
    # The characters of the question's other words: "脆李" before "果园" is the
    # report's word for the question's "李子园", "免打扰" for its "骚扰".
    worded = {c for t in info.terms if t != focus and len(t) >= 2 and t not in GRAMMAR_WORDS for c in t} - set(focus)
    return max(_mention_factor(clause_norm, pos, info.terms, question, worded) for pos in starts)


def _mention_factor(clause_norm: str, pos: int, terms: list[str], question: str, worded: set[str]) -> float:
    # Walk left over the question's own words ("网络" in "网络零售额").
    moved, walked = True, False
    while moved:
        moved = False
        for t in terms:
            if len(t) >= 2 and clause_norm.endswith(t, 0, pos):
                pos -= len(t)
                moved = walked = True
    if pos < 2:
        return 1.0
    before = clause_norm[pos - 2 : pos]
    # A verb or filler before the question's own qualifier ("实现营业收入", "其中软件业务
    #收入") changes nothing; before the bare counted word ("建成规模" for "网民规模") it
    # stands where the question's qualifier should.
    if (walked and before in GRAMMAR_WORDS) or _FIGURE_END_RE.search(clause_norm, 0, pos):
        return 1.0  # ...nor does a figure ("从4.5万户增长至…": no qualifier at all)
    if before in DETERMINERS:  # "14所各类高等院校": which of them, not another kind
        return 1.0
    if (re.fullmatch(f"[{CJK}]{{2}}", before) and before not in question and before[-1] not in LINKING_CHARS
            and not worded & set(before)):
        return 0.5
    return 1.0


# Words that quantify what follows without naming another kind of it.
DETERMINERS = frozenset({"各类", "各种", "各级", "各项", "各个", "所有", "全部", "多个", "多项", "多种"})
# A character linking a subject to its metric or figure ("旅客量居世界第7名",
# "总量为…", "规模达…"), or ending a name ("全市", "2024年"): what precedes it is
# not the metric's modifier.
LINKING_CHARS = "的年市省达居列为"
