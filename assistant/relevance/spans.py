"""The direct answer inside an evidence sentence: the name, date, place,
organisation, other name or defining phrase a question asks for, copied
verbatim from the passage (a span of the quote, never rewritten text).

Candidates, the most certain first (see the confidence levels below):
- by alignment: the question with its question word cut out is two anchors
  ("椰子猫主要以" | "为食"); the text the sentence has between them is the
  answer (CMRC/DRCD-style questions reuse the passage's wording);
- by type: candidates of the expected kind (dates by pattern; people, places
  and organisations by jieba's part-of-speech tags; other names after 又称 /
  简称; an acronym's expansion in brackets; the name right after the role
  asked about), the one nearest the question's words in the sentence.
Never a span the question already contains."""

from __future__ import annotations

import re

from ..question import GAZETTEER
from ..textnorm import CJK, normalize
from ..textnorm import aligned_normalize

# Longest span shown as a direct answer (characters); longer is a clause, not an answer.
MAX_SPAN = 40
_CLAUSE_END = "，,。；;！!？?\n"
WH_RE = re.compile(
    r"(?:是)?(?:什么样的?|什么|哪一年|哪一天|哪一位|哪一个|哪一|哪个|哪些|哪种|哪位|哪里|哪儿|哪家|哪所|哪座|哪部|哪年|哪天|哪|谁|多少|几[{cjk}]?"
    r"|何时|何地|何处|何人|怎样|如何|怎么)".replace("{cjk}", CJK)
)
_DATE_RE = re.compile(
    r"(?:19|20)\d{2}\s*[—–\-~～至到]\s*(?:19|20)\d{2}年?"  # a period: "2024—2026年"
    r"|(?:公元前?)?\d{1,4}年(?:\d{1,2}月(?:\d{1,2}[日号])?)?(?:代(?:初期?|中期?|末期?|后期)?)?(?:初|底|末|中|春|夏|秋|冬)?"
    r"|\d{1,2}月\d{1,2}[日号]|\d{4}-\d{1,2}-\d{1,2}|[一二三四五六七八九十〇零]{2,4}年[一二三四五六七八九十]{1,2}月"
    r"|(?:公元前?)?\d{1,2}世纪(?:\d{1,2}0年代)?(?:初|中|末)?(?:期|叶)?"
    r"|[一二三四五六七八九十]{1,3}世纪|(?:明|清|唐|宋|元|汉|秦|隋|晋)朝(?:[初末中]期)?"
)
_ALIAS_RE = re.compile(
    r"(?:又称|又名|又叫|俗称|俗名|别称|别名|简称|亦称|也称|也叫|或称|原名|本名|学名|英文名|全称|旧称|古称|昵称|外号)"
    r"(?:为|是|作|叫)?[：:]?\s*[「“\"《]?([^，,。；;（(）)」”\"》]{1,30})"
)
# Organisation names end in a suffix; one-character suffixes (局, 部, 院…) only
# where the word ends there ("数据局发布", not "社会" or "部门").
_ORG_SUFFIX_RE = re.compile(
    r"[\w·（）()]{2,24}?(?:(?:公司|集团|大学|学院|研究院|研究所|委员会|管理局|管理处|办公室|中心|协会|学会|银行|医院"
    r"|政府|法院|检察院|组织|联盟|基金会|俱乐部)|(?:局|部|厅|署|办|队|社|台|院|所|处|委|厂)"
    r"(?=[^\u4e00-\u9fff]|[的和与及等联主发召牵开编制印出、]|$))"
)
_ORG_LEAD_RE = re.compile(r"(?:协助|配合|联合|会同|受|委托|经|由|向|在|与|和|按照|根据|依托|支持|指导)(?=.{2})")
_STRIP = "，,、：:；; 　\t“”\"「」『』（）()"


# How sure a span is: between both anchors of the question > right after the
# question's own verb ("…位于" | "…称为") > of the expected type > next to one anchor.
BOTH_ANCHORS, FRAMED, TYPED, ONE_ANCHOR = 4, 3, 2, 1


def direct_span(kind: str, question: str, quote: str, sentence: tuple[int, int]) -> tuple[tuple[int, int], int] | None:
    """(span in `quote`, confidence) of the direct answer in the sentence, or None."""
    s0, s1 = sentence
    text = quote[s0:s1]
    norm = aligned_normalize(text)
    q = normalize(question)
    if kind == "reason":  # the cause, never an alignment around the "什么" of "为什么"
        cause = _cause(norm)
        return ((s0 + cause[0], s0 + cause[1]), TYPED) if cause else None
    candidates = []
    aligned = _aligned_span(q, norm)
    typed = _typed(kind, q, text, norm)
    if aligned is not None:
        span, confidence = aligned
        # A name or date asked for: one anchor alone is not trusted, and a date
        # must look like one ("在嘉陵江…水域举行" is where, not when).
        trusted = confidence >= FRAMED or (typed is None and kind not in ("person", "organization", "date"))
        if trusted and (kind != "date" or _DATE_RE.search(norm, *span)):
            candidates.append((span, confidence))
    if typed is not None:
        candidates.append((typed, TYPED))
    titled = _after_role(kind, q, text, norm)
    if titled is not None:
        candidates.append((titled, FRAMED))  # "副市长是谁": the name right after "副市长"
    for span, confidence in sorted(candidates, key=lambda c: -c[1]):
        a, b = _trim(text, *span)
        # An answer the question already holds is its subject, not its answer
        # (except a short name: "长张高速公路的简称" is "长张高速").
        repeats = norm[a:b] in q and not (span == typed and kind == "alias")
        if 1 <= b - a <= MAX_SPAN and not repeats and re.search(f"[{CJK}a-z0-9]", norm[a:b]):
            return (s0 + a, s0 + b), confidence
    return None


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a] in _STRIP or (text[a] in "于在是为被由" and b - a > 2)):
        a += 1
    while b > a and text[b - 1] in _STRIP + "。.的是":
        b -= 1
    return a, b


def _anchors(q: str, norm: str) -> list[int]:
    """Positions in the sentence of the question's 2+-character substrings (its words, roughly)."""
    hits = []
    for size in (4, 3, 2):
        for i in range(len(q) - size + 1):
            piece = q[i : i + size]
            if re.fullmatch(f"[{CJK}a-z0-9]+", piece) and not WH_RE.fullmatch(piece):
                pos = norm.find(piece)
                if pos >= 0:
                    hits.append(pos + size // 2)
    return hits


def _nearest(candidates: list[tuple[int, int]], q: str, norm: str) -> tuple[int, int] | None:
    """The candidate nearest the question's words; none that the question holds."""
    fresh = [(a, b) for a, b in candidates if norm[a:b] not in q and not q.endswith(norm[a:b])]
    if not fresh:
        return None
    anchors = _anchors(q, norm) or [0]
    return min(fresh, key=lambda c: min(abs((c[0] + c[1]) / 2 - x) for x in anchors))


def _typed(kind: str, q: str, text: str, norm: str) -> tuple[int, int] | None:
    if kind == "alias":
        matches = list(_ALIAS_RE.finditer(norm))
        asked = re.search(r"又称|又名|别称|别名|简称|俗称|本名|原名|学名|英文名|全称|旧称|古称", q)
        preferred = [m for m in matches if asked and asked.group() in m.group()] or matches
        return preferred[0].span(1) if preferred else None
    if kind == "date":
        return _nearest([m.span() for m in _DATE_RE.finditer(norm)], q, norm)
    if kind == "definition":
        return _expansion(q, norm)
    if kind in ("person", "place", "organization"):
        return _nearest(_tagged(kind, text), q, norm)
    return None


_WHO_RE = re.compile(r"(?:是|为)?(?:谁|哪位|何人)")


def _after_role(kind: str, q: str, text: str, norm: str) -> tuple[int, int] | None:
    """The person named right after the role the question asks about."""
    m = _WHO_RE.search(q)
    if kind != "person" or not m:
        return None
    role = re.split(r"[的，,、]", q[: m.start()])[-1][-4:]  # "…报告的副市长是谁" -> "副市长"
    pos = norm.find(role) if len(role) >= 2 else -1
    if pos < 0:  # only the whole role: "市长" in the text does not answer "副市长是谁"
        return None
    names = [c for c in _tagged("person", text) if 0 <= c[0] - (pos + len(role)) <= 3]
    return names[0] if names else None


def _expansion(q: str, norm: str) -> tuple[int, int] | None:
    """"DCU(深度计算单元)", "深度计算单元(DCU)", "X是指…" for the term asked about."""
    term = re.sub(r"^什么是|^什么叫|是什么意思|是指什么|指的是什么|指什么|的含义|的定义|是什么|[？?。]", "", q)
    for t in sorted(set(re.findall(r"[a-z][a-z0-9\-]+|[" + CJK + r"]{2,}", term)), key=len, reverse=True):
        m = re.search(re.escape(t) + r"\s*[（(]([^）)]{2,30})[）)]", norm)
        if m:
            return m.span(1)
        m = re.search(r"([" + CJK + r"]{2,20})\s*[（(]" + re.escape(t) + r"[）)]", norm)
        if m:
            return m.span(1)
        m = re.search(re.escape(t) + r"(?:是指|指的是|即|是|为|意为|意思是)([^，,。；;]{2,40})", norm)
        if m:
            return m.span(1)
    return None


# "由于X，故Y" / "因X而Y" / "X，所以Y" / "为了X": the cause (or purpose) X.
_CONSEQUENCE = r"所以|因此|因而|故而|从而|以致|导致|致使|使得|于是|故|才|便"
_CAUSE_RES = (
    re.compile(r"因(?![此而为])([^，,。；;]{2,30}?)而"),
    re.compile(rf"(?:是因为|因为|由于|鉴于|为了|旨在|(?<![原基成起])因(?![此而为素]))([^。；;！!？?]{{2,40}}?)(?:[，,]?(?:{_CONSEQUENCE})|[。；;]|$)"),
    re.compile(r"(?:是因为|因为|由于|鉴于|为了|旨在)([^，,。；;！!？?]{2,40})"),
    re.compile(rf"([^，,。；;]{{2,40}})[，,]\s*(?:{_CONSEQUENCE})"),
)


def _cause(norm: str) -> tuple[int, int] | None:
    """The cause a sentence states, from its connectives (the first pattern that matches)."""
    for pattern in _CAUSE_RES:
        m = pattern.search(norm)
        if m:
            return m.span(1)
    return None


def _tagged(kind: str, text: str) -> list[tuple[int, int]]:
    """Spans of people (nr), places (ns, or the gazetteer) or organisations (nt,
    or a name ending in 公司 / 局 / 大学…), adjacent same-kind words merged."""
    import jieba.posseg as pseg

    prefix = {"person": "nr", "place": "ns", "organization": "nt"}[kind]
    spans: list[list[int]] = []
    pos = 0
    last_end = -1
    for token in pseg.cut(text):
        word, flag = token.word, token.flag
        start = text.find(word, pos)
        if start < 0:
            continue
        pos = start + len(word)
        hit = flag.startswith(prefix) or (kind == "place" and word in GAZETTEER)
        joiner = word in "·•" and spans and last_end == start
        if hit or joiner:
            if spans and last_end == start:
                spans[-1][1] = pos
            elif hit:
                spans.append([start, pos])
            last_end = pos
    out = [(a, b) for a, b in spans if text[b - 1] not in "·•"]
    if kind == "organization":  # "协助国家数据局编制": the name starts after the verb
        out += [(m.start() + len(lead.group()) if (lead := _ORG_LEAD_RE.match(m.group())) else m.start(), m.end())
                for m in _ORG_SUFFIX_RE.finditer(text)]
    return [(a, b) for a, b in out if b - a >= 2]


def _aligned_span(q: str, norm: str) -> tuple[tuple[int, int], int] | None:
    """The sentence's text between the question's words before and after its
    question word, and how many of the two anchors were found."""
    m = WH_RE.search(q)
    if not m:
        return None
    raw_left = q[: m.start()]
    right = q[m.end() :].rstrip("？?。.！!吗呢啊").lstrip("的")
    start = end = None
    framed = False  # the left anchor keeps its verb ("位于", "称为"): the answer follows it directly
    for left, keeps_verb in ((raw_left, True), (raw_left.rstrip("的是为在了和与及"), False)):
        for size in range(min(8, len(left)), 1, -1):
            pos = norm.rfind(left[-size:])
            if pos >= 0:
                start, framed = pos + size, keeps_verb and left[-1] in "的是为在了于"
                break
        if start is not None:
            break
    for size in range(min(8, len(right)), 1, -1):
        pos = norm.find(right[:size], start or 0)
        if pos >= 0 and (start is None or pos > start):
            end = pos
            break
    if start is not None and end is not None:
        return ((start, end), BOTH_ANCHORS) if 0 < end - start <= MAX_SPAN else None
    if start is not None:
        stop = min((i for i in (norm.find(c, start + 1) for c in _CLAUSE_END) if i > 0), default=len(norm))
        return ((start, stop), FRAMED if framed else ONE_ANCHOR) if stop - start <= MAX_SPAN else None
    if end is not None:
        begin = max((norm.rfind(c, 0, end) for c in _CLAUSE_END), default=-1) + 1
        return ((begin, end), ONE_ANCHOR) if 0 < end - begin <= MAX_SPAN else None
    return None
