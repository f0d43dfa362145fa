"""Where a table's figures come from: the source line under the table the
question names by its caption (answerers/sources.py, index/sections.Sections.tables_named)."""

from __future__ import annotations

import pytest

from assistant.answerers.sources import source_of
from assistant.assembly import assemble
from tests.scripted import ScriptedAnswerer


@pytest.mark.parametrize("line, source", [
    ("数据来源:四川省通信管理局。", "四川省通信管理局"),
    ("数据来源: 赛迪研究院《中国城市数据要素市场发展评估报告(2024年)》。", "赛迪研究院"),
    ('注:资料来源于赛迪顾问在北京发布"2025人工智能企业综合实力TOP100"榜单。', "赛迪顾问"),
    ("算力基础设施布局不断优化。数据来源:某机构。", None),  # not a line opening with its source
])
def test_source_lines(line, source):
    found = source_of(line)
    assert (found[0] if found else None) == source


@pytest.mark.parametrize("question, source", [
    ("数字四川报告表1里的2024年通信行业统计数据，来源是哪个部门？", "四川省通信管理局"),
    ("四川城市入围数据要素市场发展100强的排名，数据出自哪家机构？", "赛迪研究院"),
])
def test_the_source_under_the_named_table_answers_and_the_model_is_not_asked(seed_index, question, source):
    model = ScriptedAnswerer()  # nothing queued: a call would fail
    answer = assemble(seed_index, seed_index.config, model).ask(question)
    assert answer.text.startswith(f"{source} [1]") and model.calls == []
    assert answer.citations[0].quote.lstrip().startswith("数据来源")
