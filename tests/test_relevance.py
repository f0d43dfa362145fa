"""The one relevance gate: answers what the documents say, refuses near misses."""

import pytest

from assistant.question import analyze
from assistant.relevance import FEATURES, RelevanceGate


def _assess(assistant, question):
    info = analyze(question)
    return assistant.gate.assess(info, assistant.retrieve(question, info))


def test_gate_is_shared_and_scores_with_its_features(seed_assistant):
    assert seed_assistant.gate is seed_assistant.answerer.gate  # one gate for the pipeline and the answerer
    r = _assess(seed_assistant, "2024年重庆网民规模是多少？")
    assert r.answerable and 0.5 <= r.score <= 1 and set(r.features) == set(FEATURES)
    assert r.to_dict()["answerable"] is True


@pytest.mark.parametrize("question", [
    "贵州省2024年数字经济核心产业增加值是多少？",  # a province the reports do not cover
    "2024年重庆市数字经济核心产业增加值是多少亿元？",  # a metric they do not state (数字产业规模 is another)
    "2024年重庆跨境电商交易额同比增长了多少？",  # a growth rate they do not give (only the amount)
    "德阳市2024年数字经济核心产业增加值是多少？",  # only its rank (分列2~5位) is given
])
def test_near_misses_are_refused(seed_assistant, question):
    assert not _assess(seed_assistant, question).answerable
    assert seed_assistant.ask(question).abstained


def test_threshold_is_a_setting(seed_index):
    from dataclasses import replace

    from assistant.config import Config
    from assistant.errors import ConfigError

    strict = RelevanceGate.for_index(seed_index, replace(seed_index.config, min_relevance=1.0))
    info = analyze("2024年重庆网民规模是多少？")
    assert not strict.assess(info, seed_index.search(info.text, 8)).answerable
    with pytest.raises(ConfigError, match="min_relevance"):
        Config(min_relevance=1.5).validate()
