"""The evidence-sentence scorer and the spans it leans on, on the real seeds."""

import pytest

from assistant.relevance.evidence import find_evidence
from assistant.relevance.scoring import FEATURES, POOL, WEIGHTS, candidate_features, rerank, unique_sentences
from assistant.relevance.spans import direct_span
from assistant.question import analyze


def _found(assistant, question):
    info = analyze(question)
    hits = assistant.retrieve(question, info)
    return info, find_evidence(info, hits, assistant.gate.idf, known=assistant.gate.known, limit=POOL)


def test_every_feature_has_a_weight_and_lexical_indexes_ignore_semantics():
    for weights in WEIGHTS.values():
        assert set(weights) == set(FEATURES)
    assert WEIGHTS["lexical"]["semantic"] == 0.0


def test_repeated_sentences_are_scored_once(seed_assistant):
    _, found = _found(seed_assistant, "重庆的算力规模达到多少？")
    sentences = [ev.quote[ev.sentence[0]:ev.sentence[1]].strip() for ev in found]
    assert len(set(sentences)) < len(sentences)  # overlapping chunks, several clauses per sentence
    unique = unique_sentences(found, len(found))
    kept = [ev.quote[ev.sentence[0]:ev.sentence[1]].strip() for ev in unique]
    assert len(set(kept)) == len(kept) == len(set(sentences))
    assert unique[0] is found[0]  # each sentence keeps its best clause


def test_lexical_indexes_score_without_semantics(seed_assistant):
    info, found = _found(seed_assistant, "2024年重庆网民规模是多少？")
    features = candidate_features(info, unique_sentences(found))
    assert all(set(f) == set(FEATURES) for f in features)
    for f in features:
        assert f["semantic"] == 0.0  # no embedder: no semantic signal
        assert 0.0 <= f["bigrams"] <= 1.0


def test_semantic_similarity_is_used_with_vectors(hybrid_assistant):
    question = "建设数字重庆为什么对重庆很关键？"
    info, found = _found(hybrid_assistant, question)
    candidates = unique_sentences(found)
    features = candidate_features(info, candidates, hybrid_assistant.index.embedder)
    sims = [f["semantic"] for f in features]
    assert len(set(sims)) > 1 and all(0.5 < s <= 1.0 for s in sims)
    ranked = rerank(info, candidates, hybrid_assistant.index.embedder)
    assert sorted(map(id, ranked)) == sorted(map(id, candidates))  # re-ordered, nothing lost or added


def test_reason_question_is_answered_with_the_stated_reason(hybrid_assistant):
    answer = hybrid_assistant.ask("建设数字重庆为什么对重庆很关键？")
    assert not answer.abstained
    assert "关键变量" in answer.text or "突破性抓手" in answer.text
    assert answer.citations


@pytest.mark.parametrize("sentence, cause", [
    ("由于司马繇专权，一天之内恣意赏罚达三百余人，故而招致司马亮的疑忌。", "司马繇专权，一天之内恣意赏罚达三百余人"),
    ("因小巴37线的收费与城巴98线相若，所以居民大多会经过利东邨道。", "小巴37线的收费与城巴98线相若"),
    ("涞滩镇又因其文物古迹丰富、历史文化价值极高而被评为历史文化名镇。", "其文物古迹丰富、历史文化价值极高"),
    ("大规模投入侦查无人机等智能化设备，旨在全面检验多部门联合应对水上突发事件的实战能力。",
     "全面检验多部门联合应对水上突发事件的实战能力"),
])
def test_why_is_answered_with_the_cause(sentence, cause):
    (a, b), _ = direct_span("reason", "为什么？", sentence, (0, len(sentence)))
    assert sentence[a:b] == cause


def test_a_sentence_without_a_cause_gives_no_reason_span():
    sentence = "建设数字重庆，是现代化新重庆建设的关键变量。"
    assert direct_span("reason", "为什么说建设数字重庆很关键？", sentence, (0, len(sentence))) is None


def test_an_organisation_starts_after_the_verb_before_it():
    sentence = "积极推动数据跨境流通试点工作,协助国家数据局编制《汽车行业数据跨境合规流动指引》。"
    (a, b), _ = direct_span("organization", "重庆协助哪个部门编制了这份指引？", sentence, (0, len(sentence)))
    assert sentence[a:b] == "国家数据局"
