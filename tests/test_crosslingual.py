"""English question words -> the Chinese words of the corpus (CC-CEDICT)."""

from assistant.crosslingual import glossary
from assistant.question import GAZETTEER


def test_translation_keeps_only_words_the_corpus_contains(seed_index):
    t = glossary().translate("How many internet hospitals did Chongqing have in 2024?",
                             seed_index.lexical.doc_freq, GAZETTEER)
    assert t.places == ["重庆"]  # by pinyin; 崇庆 (also Chong2qing4) is not in the corpus
    assert "医院" in t.terms and "互联网" in t.terms
    assert all(seed_index.lexical.doc_freq(w) for w in t.terms)
    assert "2024" in t.numbers
    # The senses of one English word stay together (they share its weight).
    assert any("医院" in g for g in t.groups) and all(len(g) <= 4 for g in t.groups)


def test_possessives_hyphens_and_codes(seed_index):
    t = glossary().translate("What was Sichuan's cross-border e-commerce scale and its 5G base stations?",
                             seed_index.lexical.doc_freq, GAZETTEER)
    assert t.places == ["四川"]
    assert "跨境" in t.terms and "基站" in t.terms
    assert "5G" in t.numbers


def test_a_place_the_corpus_never_mentions_is_reported_missing(seed_index, hybrid_assistant):
    t = glossary().translate("How many 5G base stations does Heilongjiang have?", seed_index.lexical.doc_freq, GAZETTEER)
    assert t.missing == ["Heilongjiang"]
    answer = hybrid_assistant.ask("How many 5G base stations does Heilongjiang have?")
    assert answer.abstained and "Heilongjiang is not mentioned" in answer.text
