"""Aspect-list questions that name a section by its heading are answered with
that section's parts, as the report states them, each cited (answerers/outline.py,
index/sections.py): the real seeds, lexical index."""

from __future__ import annotations

import re

import pytest

from assistant.answer_types import asks_for_aspects
from assistant.assembly import assemble
from tests.scripted import ScriptedAnswerer


def points(answer) -> list[str]:
    return [re.sub(r"\s*\[\d+\]$", "", line[2:]) for line in answer.text.splitlines() if line.startswith("- ")]


def test_a_section_without_subsections_lists_its_paragraph_leads(seed_assistant):
    answer = seed_assistant.ask("重庆信息通信业在筑牢行业安全底线方面，取得了哪些进展？")
    assert points(answer)[:4] == ["行业安全态势保持平稳", "网络数据安全不断夯实", "应急保障能力不断提升", "助力城市治理成效显著"]
    for citation in answer.citations:  # each point is cited to the chunk it opens
        assert citation.section_path.endswith("筑牢底线,行业安全屏障持续巩固")
    quotes = " ".join(c.quote for c in answer.citations)
    assert all(p in quotes for p in points(answer))


def test_a_section_with_subsections_lists_their_headings(seed_assistant):
    answer = seed_assistant.ask("报告说数字四川发展基础更加坚实，具体体现在哪几个方面？")
    assert points(answer) == ["数字技术创新取得新突破", "数字基础设施实现新跃升", "数据要素持续释放新动能", "全民数字素养得到新提升"]
    assert len(answer.citations) == 4


def test_a_heading_named_in_other_words_is_found(seed_assistant):
    # "展望2025年…预期目标" names "（二）2025年数字四川发展展望" by two of its words.
    answer = seed_assistant.ask("展望2025年，数字四川建设主要有哪些预期目标？")
    assert points(answer)[0] == "数据赋能效应进一步增强" and len(points(answer)) == 5


def test_another_places_section_is_not_listed(seed_assistant):
    # Chongqing's report has a section "（三）深入推动数据要素市场化改革…"; asked about Sichuan, it is not used.
    hits = seed_assistant.retrieve("四川推进数据要素市场化改革，具体做了哪些工作？")
    assert all("重庆" not in h.chunk.title for h in hits if h.added == "section")
    asked = seed_assistant.retrieve("重庆推进数据要素市场化改革，具体做了哪些工作？")
    assert [h.chunk.section[-1] for h in asked if h.added == "section"][:2] == ["一是健全完善数据基础制度", "二是大力推进数据要素市场建设"]


@pytest.mark.parametrize("question", ["数字重庆的六大应用系统具体是哪六个？", "按行业划分，四川数字经济核心产业分成哪几类？",
                                      "2024年重庆IPv6用户连接数占比是多少？"])
def test_named_things_and_figures_are_not_answered_with_an_outline(seed_assistant, question):
    assert not any(h.added == "section" for h in seed_assistant.retrieve(question))


def test_the_model_is_not_asked_when_the_outline_answers(seed_index):
    model = ScriptedAnswerer()  # nothing queued: a call would fail the test
    assistant = assemble(seed_index, seed_index.config, model)
    answer = assistant.ask("重庆通信行业在营造惠企利民的服务环境上，主要从哪几方面着手？")
    assert points(answer) == ["打造高效包容营商环境", "营造健康有序市场环境", "打造暖心便捷服务环境"]
    assert model.calls == [] and not answer.fallback_reason


def test_aspect_questions_are_told_from_named_things():
    assert asks_for_aspects("四川在完善数字安全体系方面主要做了哪些事？")
    assert asks_for_aspects("市经济信息委讲的加快实数融合体制机制改革，具体举措包括哪些？")
    assert not asks_for_aspects("四川省互联网总医院讲的“六统一”，是哪六个统一？")
    assert not asks_for_aspects("“十四五”期间重庆信息通信业围绕信息基础设施开展了哪些专项行动？")
