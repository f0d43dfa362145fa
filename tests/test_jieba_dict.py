"""Segmenting from the SQLite copy of jieba's dictionary is exact: the same
words as the full dictionary on every seed chunk and every eval question."""

import json

import jieba

from assistant.jieba_dict import LazyJieba, ensure_database
from assistant.textnorm import normalize

from .conftest import ROOT


def test_lazy_dictionary_segments_exactly_like_jieba(seed_index):
    lazy = LazyJieba(ensure_database())
    questions = [json.loads(line)["question"] for line in open(ROOT / "eval" / "seeds_qa.jsonl", encoding="utf-8")]
    texts = [normalize(q) for q in questions] + [normalize(c.index_text()) for c in seed_index.chunks]
    texts += ["", "  ", "ABC abc 123.5%", "重慶市互聯網發展報告（2024）" * 30]
    for text in texts:
        assert list(lazy.cut_for_search(text)) == list(jieba.dt.cut_for_search(text)), text
        assert list(lazy.cut(text)) == list(jieba.dt.cut(text)), text
    # Only the entries these texts touch were read, not jieba's ~500k.
    assert 0 < lazy.loaded_entries < 50_000
