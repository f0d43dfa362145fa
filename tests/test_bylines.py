"""Who wrote or photographed a report: its credit lines (answerers/bylines.py),
on the real seeds' bylines and with a scripted model that must not be asked."""

from __future__ import annotations

import pytest

from assistant.answerers.bylines import asks_for_credit, credits
from assistant.assembly import assemble
from assistant.question import analyze
from tests.scripted import ScriptedAnswerer


@pytest.mark.parametrize("line, expected", [
    ("记者 饶果", [("text", "饶果")]),
    ("记者 朱颂扬 摄", [("photo", "朱颂扬")]),
    ("記者 吳禮霜/文 李文科/圖", [("text", "吳禮霜"), ("photo", "李文科")]),
    ("记者吴礼霜/文 李文科/图", [("text", "吴礼霜"), ("photo", "李文科")]),
    ("责任编辑:邓旻璐", [("editor", "邓旻璐")]),
    ("本报记者 张三", [("text", "张三")]),
    # Body text naming a reporter or a speaker is no credit line.
    ("市委網信辦副主任雷志宇表示", []),
    ("记者从市通信管理局获悉，全市5G基站达到9.8万个。", []),
])
def test_credit_lines_are_read_and_body_text_is_not(line, expected):
    assert [(c.role, c.name) for c in credits(line)] == expected


@pytest.mark.parametrize("question, name, line", [
    ("重庆主城核心区水上应急综合演练那组照片是哪位记者拍的？", "朱颂扬", "记者 朱颂扬 摄"),
    ("华龙网那篇关于2023年度重庆互联网发展报告的新闻，文字记者是谁？", "吳禮霜", "記者 吳禮霜/文 李文科/圖"),
    ("华龙网那篇2023年度互联网发展报告新闻的配图是谁拍的？", "李文科", "記者 吳禮霜/文 李文科/圖"),
    ("《重庆市互联网发展报告(2024)》发布会的报道是哪位记者写的？", "饶果", "记者 饶果"),
])
def test_the_credited_person_is_answered_and_the_model_is_not_asked(seed_index, question, name, line):
    model = ScriptedAnswerer()  # nothing queued: a call would fail
    answer = assemble(seed_index, seed_index.config, model).ask(question)
    assert answer.text.splitlines()[0].startswith(f"{name} [")
    assert any(line in c.quote for c in answer.citations) and model.calls == []


def test_who_said_something_is_not_a_credit_question():
    assert not asks_for_credit(analyze("发布会上是谁介绍重庆以实数融合推动实体经济高质量发展的？"))
    assert asks_for_credit(analyze("那组照片是哪位记者拍的？"))
