"""The Milvus engine against Milvus Lite in a temporary directory: same
rankings and answers as the local engine, incremental and full publishes,
the CLI, hybrid search, settings, and a publish killed before its alias switch."""

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from assistant import Index, build_index
from assistant.cli import main
from assistant.config import Config
from assistant.errors import ConfigError, IndexNotFoundError
from assistant.index import milvus, milvus_client, milvus_publish

from .conftest import ROOT, SEED_IDS, SEEDS

QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "eval" / "seeds_qa.jsonl").read_text("utf-8").splitlines()]
QUESTION = "2024年重庆网民规模是多少？"


def _milvus(config, tmp_path, **more):
    return config.replace(index_backend="milvus", milvus_uri=str(tmp_path / "milvus.db"), **more)


def _ranked(index, question, k=5):
    return [h.chunk.chunk_id for h in index.search(question, k)]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The seeds, lexical, opened with each engine (one build, one publish)."""
    root = tmp_path_factory.mktemp("milvus-seeds")
    local = Config(corpus_dir=str(SEEDS), index_root=str(root), models_dir=str(root / "models"), embedder="none")
    remote = local.replace(index_backend="milvus", milvus_uri=str(root / "milvus.db"))
    report = build_index([SEEDS], root / "seeds", remote)
    assert any("published to Milvus" in n for n in report.notices), report.notices
    return Index.load(root / "seeds", local), Index.load(root / "seeds", remote)


def test_seed_questions_rank_the_same_chunks(both):
    local, remote = both
    assert remote.engine.name == "milvus" and remote.engine.size == local.engine.size == len(remote.chunks)
    same_top, same_five = 0, 0
    for q in QUESTIONS:
        a, b = _ranked(local, q), _ranked(remote, q)
        same_top += a[:1] == b[:1]
        same_five += a == b
    # Milvus scores BM25 exactly; the local engine stores impacts quantized,
    # so near-ties can swap (measured: 285 of 292 top-5 lists identical).
    print(f"top-1 identical {same_top}/{len(QUESTIONS)}, top-5 {same_five}/{len(QUESTIONS)}")
    assert same_top >= 0.99 * len(QUESTIONS) and same_five >= 0.95 * len(QUESTIONS)


def test_bm25_scores_match_and_repeated_terms_weigh_more(both):
    local, remote = both
    tokens = local.query_tokens(QUESTION)
    a_ids, a_scores = local.engine.lexical_top(tokens, 10)
    b_ids, b_scores = remote.engine.lexical_top(tokens, 10)
    assert a_scores[0] == pytest.approx(b_scores[0], rel=0.01)  # same scale: fusion sees the same strength
    word = "网民"
    once, twice = remote.engine.lexical_top([word], 1)[1][0], remote.engine.lexical_top([word, word], 1)[1][0]
    assert twice == pytest.approx(2 * once, rel=1e-4)
    assert remote.engine.doc_freq(word) == local.engine.doc_freq(word)
    assert remote.engine.doc_freq("不在语料里的词xyz") is None
    assert remote.engine.idf(word) == pytest.approx(local.engine.idf(word))


def test_answers_cite_the_same_passages(both):
    from assistant.answerers import answerer_for
    from assistant.pipeline import Assistant

    local, remote = both
    for q in QUESTIONS[:12]:
        a = Assistant(local, answerer_for(local, local.config, "extractive")).ask(q)
        b = Assistant(remote, answerer_for(remote, remote.config, "extractive")).ask(q)
        assert [c.doc_id for c in b.citations] == [c.doc_id for c in a.citations], q
        assert b.text == a.text, q


@pytest.mark.parametrize("in_place", [None, True], ids=["lite-default", "in-place"])
def test_incremental_add_and_remove(corpus, config, tmp_path, in_place):
    """Lite's default (in_place=None): every change is a new generation, because
    Lite's BM25 statistics are per segment; in place (a server's default):
    delete and insert by document, numbered after the rest."""
    publish = functools.partial(milvus_publish.publish, in_place=in_place)
    in_place = bool(in_place)
    cfg = _milvus(config, tmp_path)
    path = tmp_path / "idx"
    build_index([corpus], path, cfg, publisher=publish)
    generation = milvus.MilvusEngine.generation(path, cfg)
    text = (corpus / f"{SEED_IDS[0]}.txt").read_text(encoding="utf-8")
    (corpus / "extra.txt").write_text(text.replace("重庆", "山城"), encoding="utf-8")
    report = build_index([corpus], path, cfg, publisher=publish)
    assert any(("(+" in n and " -0)" in n) == in_place for n in report.notices if "Milvus" in n), report.notices
    index = Index.load(path, cfg, verify=True)  # verify: row count == manifest
    assert sorted(index.documents) == sorted(SEED_IDS + ["extra"])
    assert (index.engine.real == generation[0]) == in_place
    assert milvus.MilvusEngine.generation(path, cfg) != generation
    extra = index.documents["extra"]
    assert extra["first_chunk"] >= len(index.chunks) - extra["n_chunks"]  # numbered after the rest
    assert index.chunks[extra["first_chunk"]].doc_id == "extra"
    assert index.engine.doc_freq("山城") == Index.load(path, config).engine.doc_freq("山城")
    if not in_place:  # exact statistics: the local engine's ranking
        assert _ranked(index, "山城网民规模") == _ranked(Index.load(path, config), "山城网民规模")

    (corpus / f"{SEED_IDS[0]}.txt").unlink()
    build_index([corpus], path, cfg, publisher=publish)
    index = Index.load(path, cfg, verify=True)
    assert SEED_IDS[0] not in index.documents
    assert all(h.chunk.doc_id != SEED_IDS[0] for h in index.search(QUESTION, 10))
    assert sum(1 for _ in index.chunks) == len(index.chunks)
    assert index.engine.doc_freq("山城") == Index.load(path, config).engine.doc_freq("山城")
    # Unchanged sources: nothing is written, the generation stays.
    before = milvus.MilvusEngine.generation(path, cfg)
    assert any("up to date" in n for n in build_index([corpus], path, cfg, publisher=publish).notices)
    time.sleep(milvus.GENERATION_TTL_S)
    assert milvus.MilvusEngine.generation(path, cfg) == before


def test_rebuild_switches_the_alias_and_drops_the_old_generation_at_the_next_publish(config, tmp_path):
    cfg = _milvus(config, tmp_path)
    path = tmp_path / "idx"
    build_index([SEEDS], path, cfg)
    first = Index.load(path, cfg)
    hits = _ranked(first, QUESTION)
    build_index([SEEDS], path, cfg, rebuild=True)
    index = Index.load(path, cfg)
    assert index.engine.real != first.engine.real and _ranked(index, QUESTION) == hits
    # A request still holding the previous generation keeps working until the next publish.
    assert _ranked(first, QUESTION) == hits
    build_index([SEEDS], path, cfg, rebuild=True)
    names = milvus_client.client(cfg).list_collections()
    assert not any(n.startswith(first.engine.real) for n in names), names
    assert all(n.startswith(index.engine.real) or n.startswith(Index.load(path, cfg).engine.real) for n in names)


def test_cli_index_and_search_with_set(corpus, tmp_path, capsys):
    db = tmp_path / "cli.db"
    sets = ["--set", "index_backend=milvus", "--set", f"milvus_uri={db}"]
    assert main(["index", str(corpus), "--index", str(tmp_path / "idx"), "--lexical", "-q", *sets]) == 0
    out = capsys.readouterr()
    assert "published to Milvus" in out.err + out.out
    assert main(["search", QUESTION, "--index", str(tmp_path / "idx"), "--lexical", "--json", *sets]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and hits[0]["doc_id"] in SEED_IDS
    assert main(["info", "--index", str(tmp_path / "idx"), "--lexical", "--json", *sets]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["backend"] == "milvus" and str(db) in info["path"]


def test_hybrid_matches_the_local_engine(corpus, config, tmp_path, tiny_embedder_path):
    dense = config.replace(embedder="sentence-transformers", embedding_model=str(tiny_embedder_path))
    cfg = _milvus(dense, tmp_path)
    build_index([corpus], tmp_path / "idx", cfg)
    local, remote = Index.load(tmp_path / "idx", dense), Index.load(tmp_path / "idx", cfg)
    assert remote.mode == local.mode == "hybrid"
    vector = local.embedder.embed_query(QUESTION)
    a_ids, a_scores = local.engine.dense_top(vector, 10)
    b_ids, b_scores = remote.engine.dense_top(vector, 10)
    assert b_ids.tolist() == a_ids.tolist() and b_scores == pytest.approx(a_scores, abs=1e-4)
    same = sum(_ranked(local, q) == _ranked(remote, q) for q in QUESTIONS[:40])
    assert same >= 38, same


def test_settings_and_missing_index_are_named(config, tmp_path):
    with pytest.raises(ConfigError, match="milvus_uri"):
        config.replace(index_backend="milvus")
    with pytest.raises(ConfigError, match="milvus_uri"):
        Index.load(tmp_path / "idx", _milvus(config, tmp_path).replace(milvus_uri=str(tmp_path / "x.txt")))
    with pytest.raises(ConfigError, match="milvus_collection"):
        Index.load(tmp_path / "idx", _milvus(config, tmp_path, milvus_collection="bad-name"))
    cfg = _milvus(config, tmp_path)
    with pytest.raises(IndexNotFoundError, match=r"milvus\.db collection assistant_idx"):
        Index.load(tmp_path / "idx", cfg)
    assert milvus.MilvusEngine.generation(tmp_path / "idx", cfg) is None


# A build whose publish stops when the new generation is written, before the
# alias switch, and waits there to be killed (argv: corpus, index, settings
# as JSON, marker file written when it waits).
PAUSED_BUILD = """
import functools, json, sys, time
from pathlib import Path
from assistant import build_index
from assistant.config import Config
from assistant.index.milvus_publish import publish

corpus, path, settings, marker = sys.argv[1:]

def wait_to_be_killed(collection):
    Path(marker).write_text(collection)
    time.sleep(600)

build_index([corpus], path, Config.from_dict(json.loads(settings)), rebuild=True,
            publisher=functools.partial(publish, before_switch=wait_to_be_killed))
"""


def test_publish_killed_before_the_switch_leaves_the_previous_generation(corpus, config, tmp_path):
    cfg = _milvus(config, tmp_path)
    path = tmp_path / "idx"
    build_index([corpus], path, cfg)
    before = Index.load(path, cfg)
    previous, hits = before.engine.real, _ranked(before, QUESTION)
    del before
    milvus_client.release(cfg, force=True)  # Lite: one process at a time holds the file
    (corpus / "extra.txt").write_text("山城网民规模达到三千万。\n", encoding="utf-8")
    marker = tmp_path / "paused"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", PAUSED_BUILD, str(corpus), str(path), json.dumps(cfg.to_dict()), str(marker)]
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "no pause"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    index = Index.load(path, cfg)
    assert index.engine.real == previous and sorted(index.documents) == SEED_IDS
    assert _ranked(index, QUESTION) == hits
    leftovers = [n for n in milvus_client.client(cfg).list_collections() if not n.startswith(previous)]
    assert marker.read_text() in leftovers, "the killed publish had written its generation"
    del index
    build_index([corpus], path, cfg)  # the next publish completes and drops the leftovers
    index = Index.load(path, cfg)
    assert "extra" in index.documents
    names = milvus_client.client(cfg).list_collections()
    # the new generation, and the one it replaced (kept for requests in flight)
    assert all(n.startswith((index.engine.real, previous)) for n in names), names
    assert any(n.startswith(previous) for n in names)


def test_missing_pymilvus_names_the_extra(config, tmp_path, monkeypatch):
    from assistant.errors import MissingDependencyError

    # A URI no client of this process has opened: the import is attempted.
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(MissingDependencyError, match=r"assistant\[milvus\]"):
        Index.load(tmp_path / "idx", config.replace(index_backend="milvus", milvus_uri=str(tmp_path / "other.db")))
    shutil.rmtree(tmp_path / "other.db", ignore_errors=True)


def test_the_ui_service_uploads_answers_and_removes_through_milvus(corpus, config, tmp_path):
    """The chat UI's and HTTP server's service layer, unchanged, on the Milvus
    engine: an uploaded document is published, answered with a citation, and
    removed again."""
    from assistant.service import AssistantService

    cfg = _milvus(config, tmp_path, corpus_dir=str(corpus))
    service = AssistantService(cfg, corpus, tmp_path / "idx")
    try:
        assert service.current().engine.name == "milvus"
        note = tmp_path / "upload" / "贵州.md"
        note.parent.mkdir()
        note.write_text("# 贵州报告\n\n2024年贵州省5G基站数达到12.3万个。\n", encoding="utf-8")
        [result] = service.add_files([(note, "贵州.md")])
        assert result["status"] == "indexed", result
        answer = service.assistant().ask("2024年贵州省5G基站数是多少？")
        assert "12.3万个" in answer.text and answer.citations[0].doc_id == result["doc_id"]
        service.remove_document(result["doc_id"])
        assert result["doc_id"] not in service.current().documents
        assert sorted(service.current().documents) == SEED_IDS
    finally:
        service.close()
