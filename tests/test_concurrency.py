"""Concurrency: many threads asking at once get the sequential answers; readers
opening the index while it is rebuilt never see a half-written one; two builds
of one index queue instead of clobbering each other."""

import threading
from concurrent.futures import ThreadPoolExecutor

from assistant import Index, build_index
from assistant.evaluation import load_questions

from .conftest import ROOT, SEED_IDS

THREADS = 8


def _key(answer):
    return answer.text, [(c.chunk_id, c.supporting_text) for c in answer.citations], answer.abstained


def test_parallel_questions_get_sequential_answers(seed_assistant):
    questions = [q.question for q in load_questions(ROOT / "eval" / "seeds_qa.jsonl")]
    expected = [_key(seed_assistant.ask(q)) for q in questions]
    with ThreadPoolExecutor(THREADS) as pool:
        for _ in range(2):
            got = list(pool.map(lambda q: _key(seed_assistant.ask(q)), questions))
            assert got == expected


def test_readers_never_see_a_half_written_index(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    extra = corpus / "extra_note.md"
    variants = {frozenset(SEED_IDS), frozenset(SEED_IDS + ["extra_note"])}
    stop = threading.Event()
    problems: list[str] = []
    opened = [0]

    def writer():
        try:
            for i in range(6):
                if i % 2 == 0:
                    extra.write_text(f"# 附注\n\n贵州省5G基站数达到{i}.5万个。\n", encoding="utf-8")
                else:
                    extra.unlink()
                build_index([corpus], path, config)
        except Exception as exc:  # noqa: BLE001 - reported below
            problems.append(f"writer: {exc!r}")
        finally:
            stop.set()

    def reader():
        while not stop.is_set():
            try:
                index = Index.load(path, config)
                docs = frozenset(index.documents)
                if docs not in variants:
                    problems.append(f"unexpected documents {sorted(docs)}")
                if len(index.chunks) != index.manifest["n_chunks"]:
                    problems.append("chunk count differs from the manifest")
                for hit in index.search("2024年重庆网民规模是多少？", 5):
                    if hit.chunk.doc_id not in docs:
                        problems.append(f"hit from {hit.chunk.doc_id} not in the index")
                opened[0] += 1
            except Exception as exc:  # noqa: BLE001
                problems.append(f"reader: {exc!r}")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not problems, problems[:5]
    assert opened[0] >= 6


def test_concurrent_builds_of_one_index_queue(corpus, config, tmp_path):
    path = tmp_path / "idx"
    with ThreadPoolExecutor(3) as pool:
        reports = list(pool.map(lambda _: build_index([corpus], path, config), range(3)))
    # The first build adds everything; the ones that waited find nothing to do.
    assert sorted(len(r.added) for r in reports) == [0, 0, len(SEED_IDS)]
    assert sorted(Index.load(path, config, verify=True).documents) == SEED_IDS
