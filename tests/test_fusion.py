"""Fusion of BM25 and dense scores (assistant/index/fusion.py)."""

from assistant import Config
from assistant.index import fusion


def _best(scores):
    return max(scores, key=scores.get)


def test_adaptive_keeps_a_confident_bm25_winner_and_follows_dense_when_words_barely_match():
    bm25 = {1: 12.0, 2: 6.0, 3: 1.0}
    dense = {2: 0.86, 1: 0.80, 4: 0.79}
    cfg = Config()
    # The question's terms total an idf mass of 20: passage 1 matches them well.
    assert fusion.lexical_strength(bm25, 20.0) == 0.6
    assert _best(fusion.fuse(bm25, dense, 20.0, cfg)) == 1
    # Same scores for a question whose words the corpus barely has (idf mass 100):
    # strength 0.12 < fusion_low, so dense decides.
    assert _best(fusion.fuse(bm25, dense, 100.0, cfg)) == 2


def test_candidates_found_by_one_retriever_only_are_kept():
    fused = fusion.fuse({1: 3.0}, {2: 0.9, 1: 0.7}, 5.0, Config())
    assert set(fused) == {1, 2}
    assert set(fusion.rrf({1: 3.0}, {2: 0.9}, 60)) == {1, 2}


def test_rrf_equal_weights_is_rank_only():
    fused = fusion.rrf({1: 100.0, 2: 1.0}, {2: 0.9, 1: 0.1}, 60)
    assert fused[1] == fused[2]  # first in one list, second in the other


def test_bm25_fusion_setting_ignores_dense():
    assert fusion.fuse({1: 2.0}, {2: 0.99}, 1.0, Config(fusion="bm25")) == {1: 2.0}
