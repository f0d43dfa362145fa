""""Where do the documents mention X": each sentence writing X, quoted and
cited, never restated (answerers/mentions.py), on the real seeds."""

from __future__ import annotations

import re

import pytest

from assistant.answerers.mentions import mentioned_phrase
from assistant.assembly import assemble
from tests.scripted import ScriptedAnswerer


@pytest.mark.parametrize("question, phrase", [
    ("文档中哪里提到系统已被攻破？", "系统已被攻破"),
    ("“东数西算”出现在哪里？", "东数西算"),
    ("报告中哪些地方提到东数西算？", "东数西算"),
    ("报告里数据要素在什么地方出现过？", "数据要素"),
    ("博落回一名首先在哪里出现？", None),  # where it first appeared in history, not in the documents
    ("2025年重庆主城核心区水域水上突发事件应急综合演练在哪里举行？", None),  # where it happened, not where it is written
    ("报告中提到的5G基站在哪里建设？", None),
])
def test_where_mentioned_questions_are_told_apart(question, phrase):
    assert mentioned_phrase(question) == phrase


def test_each_sentence_writing_the_words_is_quoted_and_cited_without_the_model(seed_index):
    model = ScriptedAnswerer()  # nothing queued: a call would fail
    answer = assemble(seed_index, seed_index.config, model).ask("报告中哪些地方提到东数西算？")
    quotes = re.findall(r"“(.*?)” \[(\d+)\]", answer.text)
    assert quotes and model.calls == []
    cited = {c.number: c.quote for c in answer.citations}
    for body, n in quotes:
        assert "东数西算" in body and body in cited[int(n)]
