"""The seed question set is well-formed and every gold answer is really in its document."""

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.textnorm import normalize

QA = Path(__file__).resolve().parent.parent / "eval" / "seeds_qa.jsonl"
KEYS = {"id", "type", "question", "answers", "answers_all", "doc_ids"}
UNANSWERABLE = {"unanswerable", "near_miss"}
OPEN_TYPES = ["list", "who", "when", "where", "org", "definition", "reason", "method", "near_miss"]


@pytest.fixture(scope="module")
def questions():
    return [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_schema_and_coverage(questions, raw_seeds):
    assert len(questions) >= 80
    assert len({q["id"] for q in questions}) == len(questions)
    for q in questions:
        assert set(q) - {"key_points"} == KEYS, q["id"]
        assert all(isinstance(a, str) and a for a in q["answers"] + q["answers_all"]), q["id"]
        assert set(q["doc_ids"]) <= set(raw_seeds), q["id"]
        unanswerable = not q["answers"] and not q["answers_all"]
        assert unanswerable == (q["type"] in UNANSWERABLE) == (not q["doc_ids"]), q["id"]
        assert ("key_points" in q) == (q["type"] == "list"), q["id"]
    types = Counter(q["type"] for q in questions)
    for kind in ["factoid", "traditional", "table", "pdf_split", "comparison", "english", "unanswerable"]:
        assert types[kind] >= 6, kind
    # Issue #12: at least 60 open questions of the kinds staff ask.
    assert sum(types[k] for k in OPEN_TYPES) >= 60
    assert all(3 <= len(q["key_points"]) <= 6 for q in questions if q["type"] == "list")
    comparisons = [q for q in questions if q["type"] == "comparison"]
    assert all(len(q["doc_ids"]) >= 2 and len(q["answers_all"]) >= 2 for q in comparisons)


def test_every_answer_occurs_in_its_gold_document(questions, cleaned_seeds):
    docs = {doc_id: normalize(r.text) for doc_id, r in cleaned_seeds.items()}
    for q in questions:
        gold = [docs[d] for d in q["doc_ids"]]
        for answer in q["answers"]:
            assert any(normalize(answer) in text for text in gold), (q["id"], answer)
        for answer in q["answers_all"] + q.get("key_points", []):
            assert any(normalize(answer) in text for text in gold), (q["id"], answer)


def test_traditional_questions_are_answered_only_by_the_traditional_report(questions):
    trad = [q for q in questions if q["type"] == "traditional"]
    assert trad and all(q["doc_ids"] == ["001_cb2ac3dd287b81b5"] for q in trad)
