"""What a question asks: language, years, places, kind of answer, content terms;
and how a follow-up ("那2023年呢？") is resolved against the conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .answer_types import expected_type
from .textnorm import CJK, normalize
from .tokenize import QUESTION_WORDS, STOPWORDS, segmenter

_CJK_RE = re.compile(f"[{CJK}]")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:年|\b|(?=\D))")
_RANK_RE = re.compile(r"第几|第多少|排名|排第|位居|位列|名次|排在|\brank")
_QUANTITY_RE = re.compile(
    r"多少|(?<![这那])几[个家所项次名倍]?|多大|多高|多长|多快|规模|比重|占比|比例|增速|增长|普及率|(?<![轻草坦直统])率(?![队领先团众兵军部])|总量|总额|数量|金额|"
    r"\bhow (?:many|much)\b|\bwhat (?:share|percentage|proportion|rate|was the (?:scale|value))|\bin units of\b"
)
_ENTITY_RE = re.compile(r"谁|哪个|哪家|哪些|哪里|哪一|什么|\bwho\b|\bwhich\b|\bwhere\b")
# Words that end like a place name but name no particular place.
_NOT_PLACES = {
    "城市", "全国", "全市", "全省", "国家", "地区", "西部", "中西部", "东部", "中部", "全球", "国内", "国际",
    "省市", "区县", "境内", "境外", "海外", "本地", "基层", "直辖市", "超大城市", "大城市", "中小城市", "副省",
}
# A word ending in a provincial/municipal suffix names a place (贵州省, 成都市);
# 区/县 are left to the gazetteer: 园区, 示范区, 先导区 are not places.
_PROVINCIAL_RE = re.compile(r"(?:省|市|自治区|自治州|特别行政区)$")
_PLACE_SUFFIX_RE = re.compile(r"(?:特别行政区|自治区|自治州|地区|省|市|县|区|州)$")
# Extra content words that carry no topic: dropped from the terms to match.
_FILLER = {
    "全市", "全省", "我市", "我省", "达", "是", "有", "年", "期间", "共", "约", "目前", "当前", "其中",
    "中", "第几", "第几名", "第几位", "几", "分别", "年底", "年末", "年初", "以来", "数量", "第", "哪家", "哪位", "各", "各是", "情况", "亿元", "万元", "万人", "万户", "万个",
    # Words about the document rather than the fact asked for.
    "据", "根据", "按照", "关于", "报告", "报告中", "发布会", "提到", "给出", "显示", "指出", "介绍",
    "文件", "文中", "文档", "资料", "数据显示",
}
# Verbs that introduce a figure: kept, but they weigh little.
SOFT_TERMS = {"达到", "累计", "超过", "突破", "增至", "升至", "增长到", "提升到", "截至", "截止", "新增", "建成", "实现"}
# Words that may stand right before a metric without changing it ("全省…实现营业收入",
# "其中软件业务收入"): verbs introducing a figure, and the fillers above.
GRAMMAR_WORDS = frozenset(SOFT_TERMS | _FILLER)
# Provincial-level divisions and the cities of the seed reports: places are
# constraints on where the answer may come from, not words to match.
PROVINCES = set(
    """北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南
    四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门""".split()
)
GAZETTEER = PROVINCES | set(
    """成都 绵阳 德阳 宜宾 达州 雅安
    乐山 泸州 南充 眉山 广元 遂宁 内江 自贡 攀枝花 广安 巴中 资阳 凉山 阿坝 甘孜 武汉 深圳 杭州 广州 南京
    西安 长沙 郑州 昆明 贵阳 兰州 拉萨 渝中 渝北 两江""".split()
)
# Latin/number words jieba would split ("5G" -> "5", "G"): kept whole.
_ALNUM_RE = re.compile(r"[a-z0-9]*[a-z][a-z0-9.\-]*")


@dataclass
class QuestionInfo:
    text: str
    english: bool
    years: list[int] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # short forms: 重庆, 四川
    kind: str = "other"  # "quantity" | "rank" | "entity" | "other"
    terms: list[str] = field(default_factory=list)  # normalised content words
    # Weight factors: the translations of one English word share its weight
    # (Pirkola 1998), so a noisy sense cannot outvote the words asked about.
    term_factors: dict[str, float] = field(default_factory=dict)
    expects: str = "other"  # answer_types.expected_type: person, date, list, definition…


# Terminal colour codes and other control characters are invisible to whoever
# pasted the question, but left in they break it: "\x1b[31m" reads as a term
# "31m" the corpus lacks, and the question matches nothing. The digits inside an
# escape sequence are parameters, not a figure anyone wrote: no number is lost.
_ANSI_ESCAPE_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def visible_text(question: str) -> str:
    """The question as displayed: ANSI escape sequences and control characters
    (other than tab and line breaks) removed."""
    return _CONTROL_RE.sub("", _ANSI_ESCAPE_RE.sub("", question))


def is_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    return sum(1 for c in letters if _CJK_RE.match(c)) / len(letters) < 0.2


def short_place(name: str) -> str:
    short = _PLACE_SUFFIX_RE.sub("", name)
    return short if len(short) >= 2 else name


def analyze(question: str) -> QuestionInfo:
    english = is_english(question)
    norm = normalize(question)
    # Each distinct year once: a question repeating "2024年" a thousand times
    # would otherwise fan out into a thousand searches (pipeline.retrieve).
    years = list(dict.fromkeys(int(y) for y in _YEAR_RE.findall(norm)))
    if _RANK_RE.search(norm):
        kind = "rank"
    elif _QUANTITY_RE.search(norm):
        kind = "quantity"
    elif _ENTITY_RE.search(norm):
        kind = "entity"
    else:
        kind = "other"
    places: list[str] = []
    terms: list[str] = []
    if not english:
        terms.extend(w for w in _ALNUM_RE.findall(norm) if len(w) >= 2)
        # Figures are not terms (years are kept above); cutting them out also stops
        # jieba gluing a neighbour to them ("排名第99" -> "排名第").
        for word in segmenter().cut(re.sub(r"\d+(?:\.\d+)?", " ", _ALNUM_RE.sub(" ", norm)), True):
            word = word.strip()
            if not word or not re.search(rf"[{CJK}a-z0-9]", word):
                continue
            short = short_place(word)
            # A place name has at least two characters before its suffix: "向市"
            # (jieba's "向" + "市人大") and "能省" are not places.
            stem = _PLACE_SUFFIX_RE.sub("", word)
            if short in GAZETTEER or (_PROVINCIAL_RE.search(word) and len(stem) >= 2 and word not in _NOT_PLACES):
                places.append(short)
                continue
            place = next((g for g in GAZETTEER if word.startswith(g) and len(word) > len(g)), None)
            if place:  # "重庆电信", "重庆市政府": a place glued to a word by jieba
                places.append(place)
                word = word[len(place):].lstrip("市省")
                if len(word) < 2:
                    continue
            if (
                word in QUESTION_WORDS or word in STOPWORDS or word in _FILLER
                or re.fullmatch(r"\d+|(?:19|20)\d{2}", word) or word == "年"
            ):
                continue
            terms.append(word)
    expects = expected_type(question, english)
    if expects in ("list", "date"):
        kind = "other"  # "哪几个方面" asks for points, "哪几年" for a period: not for a count
    elif expects in ("person", "organization", "place", "alias") and kind in ("quantity", "rank"):
        # "约翰逊率队击败了哪个教练…", "排名数据出自哪家机构": the question word asks for a name.
        kind = "entity"
    return QuestionInfo(question, english, years, list(dict.fromkeys(places)), kind, list(dict.fromkeys(terms)),
                        expects=expects)


# ------------------------------------------------------------------ follow-ups

_FOLLOW_UP_RE = re.compile(r"^(?:那么?|那|还有|再|and|what about|how about)|呢[？?]?$|\?$", re.I)


def _last_user_question(history) -> str | None:
    for turn in reversed(history or []):
        if isinstance(turn, dict):
            if turn.get("role") == "user" and turn.get("content"):
                return turn.get("resolved") or turn["content"]
        elif isinstance(turn, (list, tuple)) and turn and turn[0]:
            return turn[0]
    return None


def resolve_follow_up(question: str, history) -> str:
    """Rewrite a short follow-up using the previous question: a new year or place
    replaces the old one ("2024年重庆网民规模是多少？" + "那2023年呢？" ->
    "2023年重庆网民规模是多少？"); other fragments are appended to it."""
    previous = _last_user_question(history)
    q = question.strip()
    if not previous or len(q) > 16 or not _FOLLOW_UP_RE.search(q):
        return question
    new = analyze(q)
    old = analyze(previous)
    rewritten = previous
    if new.years and old.years:
        for y in old.years:
            rewritten = re.sub(f"{y}年?", "", rewritten, count=1) if y != old.years[0] else rewritten
        rewritten = re.sub(f"{old.years[0]}", "和".join(str(y) for y in new.years), rewritten, count=1)
    elif new.years:
        rewritten = "".join(f"{y}年" for y in new.years) + rewritten
    if new.places and old.places:
        rewritten = rewritten.replace(old.places[0], new.places[0], 1)
    elif new.places:
        rewritten = new.places[0] + rewritten
    if not new.years and not new.places:
        # A new topic for the same year/place: "普及率呢？" -> "2024年重庆普及率是多少？"
        core = re.sub(r"^(?:那么?|还有|再)|呢[？?]?$|[？?]$", "", q).strip()
        if core:
            scope = "".join(f"{y}年" for y in old.years) + "".join(old.places)
            tail = "是多少？" if "多少" in previous else "？"
            rewritten = f"{scope}{core}{tail}"
    return rewritten
