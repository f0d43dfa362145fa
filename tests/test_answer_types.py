"""Expected answer types, direct answers cut from the passage, and list answers,
on the real seeds."""

import pytest

from assistant.answer_types import expected_type
from assistant.relevance.spans import direct_span


@pytest.mark.parametrize("question, kind", [
    ("数字重庆建设取得了哪些主要成效？", "list"),
    ("四川省在算力方面有什么布局？", "list"),
    ("马震副市长讲的下一步工作打算主要是哪几块？", "list"),
    ("锣鼓经常用的节奏型称为什么？", "entity"),  # a name, not a reason
    ("为什么说建设数字重庆特别关键？", "reason"),
    ("巫山县脆李产业是怎么借助数字化提升效益的？", "method"),
    ("长张高速公路的简称是什么？", "alias"),
    ("什么是AIGC？", "definition"),
    ("《长眠不醒》的作者是谁？", "person"),
    ("国内首款卫星互联网芯片是哪家单位研制出来的？", "organization"),
    ("广州大学法学院在哪一年由诸多院系合并而成？", "date"),
    ("重庆的万兆网络街区落地在哪里？", "place"),
    ("2024年重庆网民规模是多少？", "quantity"),
    ("过海隧道巴士935线现时使用几辆巴士？", "quantity"),
    ("波赫國會在宣言中暗示將會獨立，是於西元幾年所宣布?", "date"),  # a year, not a count
    ("這幾年，伊拉克美軍部隊會以廢料金屬加強裝甲，他們稱這手法是?", "other"),  # "這幾年" asks nothing
    ("Who presented the report?", "person"),
    ("When was the report released?", "date"),
    ("Which government body issued the report?", "organization"),
    ("How many internet users did Chongqing have?", "quantity"),
])
def test_expected_type(question, kind):
    assert expected_type(question) == kind


def _span(kind, question, sentence):
    found = direct_span(kind, question, sentence, (0, len(sentence)))
    return sentence[found[0][0]:found[0][1]] if found else None


def test_direct_answers_are_spans_of_the_sentence():
    assert _span("alias", "长张高速公路的简称是什么？", "长沙－张家界高速公路，简称长张高速，中国国家高速公路网编号为G5513") == "长张高速"
    assert _span("entity", "这种庙宇被称为什么？", "华人常常为发生意外而过世的人立庙，称为阴庙，希望得到香火供养") == "阴庙"
    assert _span("place", "岩手宫城内陆地震的震中位于哪里？", "岩手宫城内陆地震的震中位于岩手县奥州市和宫城县栗原市，震源深度8公里") \
        == "岩手县奥州市和宫城县栗原市"
    assert _span("person", "谁作了关于数字重庆建设推进情况的报告？", "重庆市人民政府副市长马震作关于数字重庆建设推进情况的报告") == "马震"
    assert _span("date", "吉格梅·多吉·旺楚克在哪一年成立了国会？", "吉格梅·多吉·旺楚克于1953年成立了国会，让不丹向全世界开放") == "1953年"
    assert _span("definition", "DCU是什么意思？", "推出国产高性能DCU(深度计算单元)芯片") == "深度计算单元"
    # Nothing the question already says is an answer.
    assert _span("person", "马震是谁？", "马震作报告") is None


def test_who_and_when_answers_lead_with_the_name_or_date(seed_assistant):
    answer = seed_assistant.ask("受市长委托向市人大常委会作数字重庆建设情况报告的副市长是谁？")
    assert answer.text.splitlines()[0].startswith("马震")
    assert answer.citations and answer.unverified_numbers == []


def test_list_questions_get_several_cited_points(seed_assistant):
    answer = seed_assistant.ask("数字重庆建设推进情况报告里，还存在哪些问题和不足？")
    lines = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert 3 <= len(lines) <= 6 and all(line.rstrip().endswith("]") for line in lines)
    assert sum(p in answer.text for p in ("基本能力建设有待深化", "数据要素市场培育有待加力",
                                           "数字经济产业生态有待优化", "干部群众思想认识有待提高")) >= 3
    assert answer.unverified_numbers == [] and len(answer.text) <= 460


def test_list_points_stay_in_the_place_asked_about(seed_assistant):
    answer = seed_assistant.ask("数字重庆建设取得了哪些主要成效？")
    assert answer.text.count("\n- ") >= 2
    sichuan = "004_432675f2c8dad794"  # 数字四川发展报告: only points naming Chongqing may come from it
    for c in answer.citations:
        assert c.doc_id != sichuan or "重庆" in c.supporting_text
    assert "来源" not in answer.text  # a table's source line is not a point


def test_a_document_named_in_the_question_is_answered_from_its_title_page(seed_assistant):
    answer = seed_assistant.ask("《数字四川发展报告(2024年)》是哪个部门发布的？")
    assert answer.text.startswith("四川省发展和改革委员会 [1]")
    assert answer.citations[0].doc_id == "004_432675f2c8dad794"
    answer = seed_assistant.ask("数字四川发展报告(2024年)是什么时候发布的？")
    assert answer.text.startswith("二〇二五年九月")


def test_when_questions_get_dates_periods_and_publication_days(seed_assistant):
    assert _span("date", "“数据要素X”三年行动计划覆盖的是哪几年？",
                 "落实“数据要素×”三年行动计划(2024—2026年),推进数据赋能") == "2024—2026年"
    # Between the question's words, but a place, not a date: no date answer from it.
    assert _span("date", "应急综合演练是哪天举行的？", "应急综合演练在嘉陵江忠恕沱水域举行") is None
    # A long stretch of a document's title names it: its title page has the date.
    answer = seed_assistant.ask("重庆信息通信业“十四五”高质量发展综述是什么时候发出来的？")
    assert answer.text.startswith("2025-12-02")
