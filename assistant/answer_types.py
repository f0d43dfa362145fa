"""What kind of answer a question expects, from its wording alone.

The extractive answerer puts the direct answer of this type on the first line
(a name, a date, a place, a figure with its unit, a defining phrase) and answers
list questions with several points. Patterns are checked in order: the first
that matches wins, so the specific ones ("又叫什么" asks for another name, not
for a definition) come before the general ones ("什么")."""

from __future__ import annotations

import re

from .textnorm import normalize

TYPES = (
    "list", "reason", "method", "yesno", "alias", "definition", "person", "organization", "place", "date",
    "rank", "percentage", "quantity", "entity", "other",
)

_ORG_NOUNS = (
    "机构|部门|单位|公司|企业|集团|组织|大学|学校|学院|团队|政府|银行|医院|协会|学会|委员会|球队|俱乐部|"
    "厂商|品牌|媒体|报社|电视台|出版社|乐队|党派|政党|平台|机关"
)
_PLACE_NOUNS = "国家|城市|省份|省|市|地区|地方|区|县|州|岛|洲|镇|村|港口|水域|国|河|山|湖|海"

_ZH: list[tuple[str, re.Pattern]] = [
    ("list", re.compile(
        r"哪些|有什么(?:措施|举措|成效|成就|成果|问题|不足|困难|挑战|布局|任务|亮点|特点|优势|变化|做法|经验|目标|打算|内容|方面)"
        r"|哪几(?:个|项|类|种|方面|块|招|点|大)|几个方面|主要(?:措施|举措|成效|内容|任务|做法|问题)(?:有|是)"
        r"|(?:成效|措施|举措|问题|打算|目标)(?:有|是)(?:什么|哪)")),
    # "称为什么" / "成为什么" ask for a name, not a reason.
    ("reason", re.compile(r"(?<![称成作视名译叫])为什么|为何|原因|何以|缘何|出于什么|怎么会")),
    ("method", re.compile(r"如何|怎样|怎么|通过什么|采取(?:了)?什么|用(?:了)?什么(?:方式|办法|方法|模式|手段)"
                          r"|什么(?:方式|办法|方法|模式|手段|途径|路径)")),
    ("yesno", re.compile(r"是否|有没有|是不是|能否|可否|能不能|会不会|[^什么哪谁几多]{2,}吗[？?]?$")),
    ("alias", re.compile(r"又(?:叫|称|名)|别(?:称|名)|简称|全称|俗(?:称|名)|本名|原名|英文名|学名|外号|昵称|旧称|古称|也(?:叫|称)")),
    ("definition", re.compile(r"^什么是|什么叫|是什么意思|指(?:的是)?什么|是指什么|含义|定义|是(?:个|一种)?什么(?:东西|概念)")),
    ("person", re.compile(r"谁|哪(?:一)?位|何人|什么人|哪(?:一)?个人|作者是|创始人是|姓名")),
    ("organization", re.compile(rf"哪(?:一|个|家|所)?(?:{_ORG_NOUNS})|由哪|什么(?:{_ORG_NOUNS})")),
    ("date", re.compile(r"什么时候|何时|哪(?:一|几)?年|哪(?:一)?天|几月|哪个月|什么时间|什么时期|哪个朝代|何年|日期|年份"
                        r"|哪(?:一)?(?:时期|年代|世纪)|(?:公元|西元|民国)几年|几号|几点")),
    ("place", re.compile(rf"哪里|哪儿|何处|何地|什么地方|在哪|哪(?:一|个|座)?(?:{_PLACE_NOUNS})|位于")),
    ("rank", re.compile(r"第几|排名|排第|名次|位列")),
    ("percentage", re.compile(r"百分之|比例|比重|占比|百分比|(?:率|增速|增幅|降幅)(?:是|为|达到?)?多少"
                              r"|同比(?:增长|下降|提高|减少|增加)了?多少")),
    ("quantity", re.compile(r"多少|(?<![这那])几(?!乎|何)[\u4e00-\u9fff]|多(?:大|长|高|重|远|久|深|宽|快)")),
    ("entity", re.compile(r"什么|哪(?:个|一|种|部|本|首)|何")),
]

_EN: list[tuple[str, re.Pattern]] = [
    ("list", re.compile(r"^\s*(?:what|which) (?:\w+ ){0,3}(?:measures|steps|achievements|problems|challenges|tasks|"
                        r"areas|priorities|goals|actions|initiatives)\b|\blist\b", re.I)),
    ("reason", re.compile(r"^\s*why\b", re.I)),
    ("method", re.compile(r"^\s*how (?:do|does|did|can|will|is|are|was|were)\b(?! \w+ (?:many|much))", re.I)),
    ("definition", re.compile(r"^\s*what (?:is|are|does)\b.*\b(?:mean|stand for)\b|^\s*what is (?:a |an |the )?\w+\??$", re.I)),
    ("person", re.compile(r"^\s*(?:who|whom)\b", re.I)),
    ("organization", re.compile(r"\b(?:which|what) (?:\w+ )?(?:organi[sz]ation|body|agency|company|department|"
                                r"bureau|institution|authority|office)\b", re.I)),
    ("place", re.compile(r"^\s*where\b|\b(?:which|what) (?:city|province|district|county|place|region)\b", re.I)),
    ("date", re.compile(r"^\s*when\b|\bwhat (?:date|day|month|year)\b|\bwhich (?:date|day|month|year)\b|\bon what date\b", re.I)),
    ("rank", re.compile(r"\brank(?:ed|ing)?\b", re.I)),
    ("percentage", re.compile(r"\bpercent(?:age)?\b|\bshare\b|\brate\b|\bproportion\b", re.I)),
    ("quantity", re.compile(r"\bhow (?:many|much|big|large|high|long)\b", re.I)),
    ("yesno", re.compile(r"^\s*(?:is|are|was|were|did|does|do|has|have|can)\b", re.I)),
    ("entity", re.compile(r"^\s*(?:what|which)\b", re.I)),
]


def expected_type(question: str, english: bool | None = None) -> str:
    """One of TYPES."""
    if english is None:
        english = not re.search(r"[\u4e00-\u9fff]", question)
    text = question if english else normalize(question)
    for name, pattern in _EN if english else _ZH:
        if pattern.search(text):
            return name
    return "other"


# A list of aspects (measures, results, problems, areas), not of named things
# ("哪六个系统", "分成哪几类"): a report states such a list as a section's parts
# (answerers/outline.py).
_ASPECT_NOUNS = (
    "方面|措施|举措|成效|成就|成果|进展|问题|不足|挑战|困难|工作|亮点|目标|事|做法|经验|特点|优势|特征|任务|"
    "内容|方向|招|领域|打算|块|变化|布局"
)
_ASPECTS_ZH = re.compile(rf"哪(?:些|几[个项大]?)[\u4e00-\u9fff]{{0,4}}?(?:{_ASPECT_NOUNS})|几个方面"
                         rf"|(?:有什么|主要)(?:{_ASPECT_NOUNS})|(?:{_ASPECT_NOUNS})(?:包括|包含|有)哪些")


def asks_for_aspects(question: str) -> bool:
    """A Chinese list question asking which measures, results, problems or
    areas ("取得了哪些成效", "从哪几个方面"), not which named things."""
    return bool(_ASPECTS_ZH.search(normalize(question)))
