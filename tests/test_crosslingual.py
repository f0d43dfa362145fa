"""English question words -> the Chinese words of the corpus (CC-CEDICT)."""

from assistant.crosslingual import glossary
from assistant.question import GAZETTEER


def test_translation_keeps_only_words_the_corpus_contains(seed_index):
    t = glossary().translate("How many internet hospitals did Chongqing have in 2024?",
                             seed_index.engine.doc_freq, GAZETTEER)
    assert t.places == ["重庆"]  # by pinyin; 崇庆 (also Chong2qing4) is not in the corpus
    assert "医院" in t.terms and "互联网" in t.terms
    assert all(seed_index.engine.doc_freq(w) for w in t.terms)
    assert "2024" in t.numbers
    # The senses of one English word stay together (they share its weight).
    assert any("医院" in g for g in t.groups) and all(len(g) <= 4 for g in t.groups)


def test_possessives_hyphens_and_codes(seed_index):
    t = glossary().translate("What was Sichuan's cross-border e-commerce scale and its 5G base stations?",
                             seed_index.engine.doc_freq, GAZETTEER)
    assert t.places == ["四川"]
    assert "跨境" in t.terms and "基站" in t.terms
    assert "5G" in t.numbers


def test_a_place_the_corpus_never_mentions_is_reported_missing(seed_index, hybrid_assistant):
    t = glossary().translate("How many 5G base stations does Heilongjiang have?", seed_index.engine.doc_freq, GAZETTEER)
    assert t.missing == ["Heilongjiang"]
    answer = hybrid_assistant.ask("How many 5G base stations does Heilongjiang have?")
    assert answer.abstained and "Heilongjiang is not mentioned" in answer.text


def test_domain_glossary_supplies_the_reports_terms(seed_index):
    """CC-CEDICT has 网民 only as "netizen" and lacks 网络零售额; the bundled glossary
    has the reports' terms, multi-word ones included (found through their bigrams)."""
    words = glossary()
    t = words.translate("How many internet users did Chongqing have in 2024?", seed_index.term_freq, GAZETTEER)
    assert t.groups[0][0] in ("网民", "网民规模")
    t = words.translate("What were Sichuan's online retail sales in 2024?", seed_index.term_freq, GAZETTEER)
    assert ["网络零售额"] in t.groups
    # "value" alone is too general to translate, but "value added" is a phrase.
    t = words.translate("What was the value added of the core digital economy industries?",
                        seed_index.term_freq, GAZETTEER)
    assert "增加值" in t.terms and "数字经济核心产业" in t.terms
    t = words.translate("How many 5G base stations per 10,000 people during the 14th Five-Year Plan?",
                        seed_index.term_freq, GAZETTEER)
    assert ["每万人"] in t.groups and ["十四五"] in t.groups


def test_glossary_terms_the_corpus_lacks_are_dropped(seed_index):
    t = glossary().translate("How many brain-computer interface unicorns?", seed_index.term_freq, GAZETTEER)
    assert "独角兽" not in t.terms  # in the glossary, never in the seeds
    assert all(seed_index.term_freq(w) for w in t.terms)


def test_user_glossary_comes_first_and_bad_files_are_named(seed_index, tmp_path):
    from dataclasses import replace

    import pytest

    from assistant.config import Config
    from assistant.crosslingual import read_glossary
    from assistant.errors import ConfigError
    from assistant.index import Index

    terms = tmp_path / "terms.tsv"
    terms.write_text("# our words\n宽带用户\tfixed-line internet customers; fixed broadband\n", encoding="utf-8")
    index = Index(**{f: getattr(seed_index, f) for f in ("engine", "embedder")},
                  config=replace(seed_index.config, glossary=str(terms)))
    assert index.translate("How many fixed broadband users?").groups[0] == ["宽带用户"]
    assert seed_index.translate("How many fixed broadband users?").groups[0] != ["宽带用户"]

    bad = tmp_path / "bad.tsv"
    bad.write_text("宽带用户 fixed broadband\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.tsv, line 1"):
        read_glossary(bad)
    with pytest.raises(ConfigError, match="glossary: no such file"):
        Config(glossary=str(tmp_path / "missing.tsv")).validate()


def test_english_answers_come_from_the_place_asked_about(seed_assistant):
    # The Sichuan report mentions 重庆 ("成都至重庆直达带宽"), but its figures are Sichuan's.
    answer = seed_assistant.ask("How many internet users did Chongqing have in 2024?")
    assert "2495" in answer.text and answer.unverified_numbers == []
    assert answer.citations[0].doc_id == "000_fc5af34e47ea2133"
    answer = seed_assistant.ask("How many 10G-PON ports does Chongqing have, in units of 10,000?")
    assert not answer.text.startswith("According to 数字四川")


def test_english_retrieval_prefers_passages_of_the_place_asked_about(seed_index):
    from assistant.index.searcher import PLACE_MISS_FACTOR
    from assistant.textnorm import normalize

    names = {i: "重庆" in normalize(seed_index.chunks[i].section_path + seed_index.chunks[i].quote)
             for i in range(len(seed_index.chunks))}
    scores = seed_index.weigh_by_place({i: 1.0 for i in names}, "How many 5G base stations does Chongqing have?")
    assert all(scores[i] == (1.0 if named else PLACE_MISS_FACTOR) for i, named in names.items())
    assert any(names.values()) and not all(names.values())
    # A question naming no place is left alone.
    assert seed_index.weigh_by_place({0: 1.0}, "How many 5G base stations are there?") == {0: 1.0}
