"""Metric functions on hand-made results with known values, and a short real
`assistant eval` run producing a schema-valid report."""

import json

import pytest

from assistant.cli import main
from assistant.evaluation import (
    Question,
    canonical_answer,
    citation_precision,
    citation_recall,
    contains_answer,
    first_gold_rank,
    is_correct,
    load_questions,
    norm,
    summarize,
)

from .conftest import ROOT, SEEDS

Q = Question("q1", "重庆网民规模？", "factoid", answers=["2495万人"], doc_ids=["a"])
Q_ALL = Question("q2", "两年？", "comparison", answers_all=["2495万", "2362萬"], doc_ids=["a", "b"])
Q_NONE = Question("q3", "贵州？", "unanswerable")


def test_normalisation():
    assert norm("網民 2,495 萬人") == norm("网民2495万人") == "网民2495万人"
    assert norm("提升4.18个百分点") == norm("提升4.18%") == norm("提升４．１８％")
    assert contains_answer("重慶網民達2495萬人", Q)
    assert contains_answer("2023年2362万，2024年2,495万", Q_ALL)
    assert not contains_answer("2024年2495万", Q_ALL)  # answers_all needs both
    assert canonical_answer("2495万人 [1]\n⚠ 以下数字未在引用段落中找到：9") == norm("2495万人")


def test_gold_rank():
    assert first_gold_rank(["x", "x", "a", "b"], ["a"]) == 2  # distinct documents
    assert first_gold_rank(["x", "y"], ["a"]) is None
    assert first_gold_rank([], ["a"]) is None


def test_citation_metrics():
    assert citation_precision([], Q) is None  # no citations: undefined, not 0
    assert citation_precision(["网民规模达2495万人", "别的内容"], Q) == 0.5
    assert citation_precision(["2495万", "2362萬"], Q_ALL) == 1.0  # each supports one part
    assert citation_recall(["a"], Q_ALL) == 0.5
    assert citation_recall(["a"], Q_NONE) is None


def test_correctness():
    assert is_correct("2495万人 [1]", ["网民规模达2495万人"], False, Q)
    assert not is_correct("2495万人 [1]", [], False, Q)  # not in a cited passage
    assert not is_correct("", ["网民规模达2495万人"], False, Q)  # empty answer
    assert not is_correct("2495万人", ["2495万人"], True, Q)  # abstained
    assert not is_correct("12万个 [1]", ["12万个"], False, Q_NONE)  # unanswerable answered anyway
    # The system's marker inside a sentence is not answer text: "达2495万人[1]。" names the gold.
    q = Question("q9", "网民规模是多少？", "factoid", answers=["网民规模达2495万人。"])
    assert is_correct("全市网民规模达2495万人[1]。", ["全市网民规模达2495万人。"], False, q)
    # Annotators' quotes around a gold span are not answer text: EM is 1.0 here, so is correctness.
    from assistant.evaluation.metrics import direct_answer_scores

    q = Question("q10", "装配线的精神是什么？", "factoid", answers=["“让每个单位只做一个片段的工作”"])
    answer = "让每个单位只做一个片段的工作[1]。"
    assert is_correct(answer, ["最主要精神在于“让每个单位只做一个片段的工作”"], False, q)
    assert direct_answer_scores(answer, False, q)["em"] == 1.0


def _record(q, **kw):
    base = {"id": q.id, "type": q.type, "answerable": q.answerable, "has_gold_docs": bool(q.doc_ids),
            "doc_rank": None, "latency_ms": 10.0, "aic@1": None, "aic@5": None, "aic@10": None}
    return {**base, **kw}


def test_summary_known_values():
    records = [
        _record(Q, **{"aic@1": True, "aic@5": True, "aic@10": True}, doc_rank=1, answer="2495万人 [1]",
                abstained=False, correct=True, citation_precision=1.0, citation_recall=1.0, script_invariant=True),
        _record(Q_ALL, **{"aic@1": False, "aic@5": True, "aic@10": True}, doc_rank=3, answer="",
                abstained=True, correct=False, citation_precision=None, citation_recall=None,
                script_invariant=True, latency_ms=30.0),
        _record(Q_NONE, answer="12万个 [1]", abstained=False, correct=False, citation_precision=0.0,
                citation_recall=None, script_invariant=False, latency_ms=20.0),
    ]
    s = summarize(records)
    assert s["n"] == 3 and s["answerable"] == 2 and s["unanswerable"] == 1
    assert s["aic@1"] == 0.5 and s["aic@5"] == 1.0
    assert s["doc_r@1"] == 0.5 and s["doc_r@5"] == 1.0 and s["mrr@10"] == round((1 + 1 / 3) / 2, 4)
    assert s["accuracy"] == 0.5
    assert s["citation_precision"] == 1.0  # only answered (not abstained) answerable questions
    assert s["wrong_abstentions"] == 1
    assert s["abstention_recall"] == 0.0  # the unanswerable one was answered anyway
    assert s["abstention_precision"] == 0.0  # the only abstention was on an answerable question
    assert s["script_invariance"] == round(2 / 3, 4)
    assert s["median_answer_chars"] == len("2495万人 [1]")
    assert s["latency_ms"] == {"p50": 20.0, "p95": 30.0}


def test_external_format_is_read_as_is(tmp_path):
    f = tmp_path / "qa.jsonl"
    f.write_text('{"id": "DEV_0_QUERY_0", "question": "谁开发的？", "answers": ["光荣"], "doc_id": "DEV_0"}\n', encoding="utf-8")
    (q,) = load_questions(f)
    assert q.doc_ids == ["DEV_0"] and q.answers == ["光荣"] and q.type == "factoid"


def test_eval_command_writes_a_schema_valid_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_INDEX_ROOT", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path / "models"))
    out = tmp_path / "r" / "report.json"
    code = main(["eval", "--questions", str(ROOT / "eval" / "seeds_qa.jsonl"), "--docs", str(SEEDS),
                 "--config", "extractive", "retrieval", "--limit", "6", "--output", str(out)])
    assert code == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("| config | n | acc |") and "| extractive | 6 |" in stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert out.with_suffix(".png").stat().st_size > 5000
    assert set(report) == {"summary", "results", "meta"}
    assert set(report["summary"]) == {"extractive", "retrieval"}
    assert report["summary"]["extractive"]["all"]["accuracy"] is not None
    assert report["summary"]["retrieval"]["all"].get("accuracy") is None
    assert len(report["results"]) == 12
    r = report["results"][0]
    for key in ("config", "id", "type", "question", "answer", "abstained", "citations", "retrieved", "latency_ms"):
        assert key in r, key
    assert {"doc_id", "section", "quote"} <= set(r["citations"][0])
    assert {"doc_id", "chunk_id", "score", "text"} <= set(r["retrieved"][0])
    assert len(r["retrieved"]) == 10


def test_unknown_config_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--questions", "x.jsonl", "--config", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_interrupted_run_keeps_what_was_done(tmp_path, config):
    from assistant.evaluation import run_eval

    questions = load_questions(ROOT / "eval" / "seeds_qa.jsonl")[:5]

    def stop_after_three(name, n, total):
        if n == 3:
            raise KeyboardInterrupt

    report = run_eval(questions, str(SEEDS), ["bm25"], config, scripts=False, progress=stop_after_three)
    assert report["meta"]["interrupted"] is True
    assert len(report["results"]) == 3 and report["summary"]["bm25"]["all"]["n"] == 3


def test_cmrc_f1_and_exact_match_on_the_direct_answer():
    from assistant.evaluation.metrics import char_f1, direct_answer, direct_answer_scores, exact_match

    # The first line, without citations, quotes or the English lead.
    assert direct_answer("2495万人 [1]\n“全市网民规模达2495万人” [1]") == "2495万人"
    assert direct_answer("According to 数字四川发展报告(2024年): 7.04亿人次 [1]\nSupporting text: …") == "7.04亿人次"
    assert direct_answer("“雷蒙·钱德勒1939年的小说” [1]") == "雷蒙·钱德勒1939年的小说"
    # CMRC 2018: characters one by one, Latin words and numbers whole, punctuation ignored,
    # longest common substring; script-insensitive.
    assert exact_match("雷蒙·錢德勒。", ["雷蒙钱德勒"]) == 1.0
    assert char_f1("2495万人", ["2495万"]) == pytest.approx(0.8)  # 2 of 3 tokens, both gold tokens
    assert char_f1("中国科学院院士", ["院士", "科学家"]) == pytest.approx(2 * (2 / 7) * 1 / (2 / 7 + 1))
    assert char_f1("北京", ["上海"]) == 0.0
    # A refusal scores 0; an unanswerable question is not scored.
    assert direct_answer_scores("文档中没有找到。", True, Q) == {"f1": 0.0, "em": 0.0, "direct": ""}
    assert direct_answer_scores("12万个 [1]", False, Q_NONE) == {}


def test_list_questions_are_scored_by_key_points():
    from assistant.evaluation.metrics import direct_answer_scores, key_point_recall

    q = Question("q4", "数字重庆建设取得了哪些成效？", "list", key_points=["一体化智能化公共数据平台", "三级治理中心", "一网通办"])
    assert q.answerable
    answer = "1. 建成一体化智能化公共数据平台 [1]\n2. 实体化运行三级治理中心 [2]"
    assert key_point_recall(answer, q) == pytest.approx(2 / 3)
    assert is_correct(answer, [], False, q)  # at least half the key points
    assert not is_correct("1. 建成一体化智能化公共数据平台 [1]", [], False, q)
    assert direct_answer_scores(answer, False, q) == {"key_point_recall": pytest.approx(2 / 3)}


def test_a_long_run_resumes_from_its_checkpoint(tmp_path, config):
    from assistant.evaluation import run_eval

    questions = load_questions(ROOT / "eval" / "seeds_qa.jsonl")[:5]
    checkpoint = tmp_path / "run.jsonl"

    def stop_after_three(name, n, total):
        if n == 3:
            raise KeyboardInterrupt

    first = run_eval(questions, str(SEEDS), ["bm25"], config, scripts=False, progress=stop_after_three,
                     checkpoint=checkpoint)
    assert first["meta"]["interrupted"] and len(checkpoint.read_text().splitlines()) == 3
    asked = []
    again = run_eval(questions, str(SEEDS), ["bm25"], config, scripts=False, checkpoint=checkpoint,
                     progress=lambda name, n, total: asked.append(n))
    assert not again["meta"]["interrupted"] and len(again["results"]) == 5
    assert [r["id"] for r in again["results"]] == [q.id for q in questions]
    assert len(checkpoint.read_text().splitlines()) == 5  # only the two missing ones were asked


def test_a_sample_is_fixed_by_its_seed_and_keeps_file_order():
    from assistant.evaluation.runner import sample

    questions = load_questions(ROOT / "eval" / "seeds_qa.jsonl")
    a, b, other = sample(questions, 20, 0), sample(questions, 20, 0), sample(questions, 20, 1)
    assert [q.id for q in a] == [q.id for q in b] != [q.id for q in other]
    order = [q.id for q in questions]
    assert [order.index(q.id) for q in a] == sorted(order.index(q.id) for q in a)
    assert sample(questions, None, 0) == questions


def test_model_runs_report_the_share_shown_and_the_dropped_items():
    cites = {"citation_precision": 1.0, "citation_recall": 1.0}
    shown = _record(Q, answer="2495万人 [1]", abstained=False, correct=True, fallback_reason=None, dropped_items=2, **cites)
    replaced = _record(Q_ALL, answer="…", abstained=False, correct=True, fallback_reason="数字在资料中找不到",
                       dropped_items=0, **cites)
    s = summarize([shown, replaced])
    assert s["model_shown"] == 0.5 and s["dropped_items"] == 2
    assert summarize([_record(Q, answer="x", abstained=False, correct=True, **cites)])["model_shown"] is None
