"""The compact index layout: BM25 from the quantised postings equals bm25s's
own indexing within the quantisation step and ranks the seed questions as well,
parallel builds equal serial ones, spilled segments and incremental updates
equal one-pass fresh builds, and old-format indexes are rebuilt."""

import json

import numpy as np
import pytest

from assistant import Index, build_index
from assistant.chunking.chunker import Chunk
from assistant.index import builder
from assistant.index import terms
from assistant.index.lexical import LexicalIndex
from assistant.index.postings import IMPACT_LEVELS
from assistant.index.terms import PostingsBuilder, count_terms
from assistant.tokenize import get_tokenizer

from .conftest import SEED_IDS

QUERIES = ["2024年四川电信业务收入是多少？", "移动物联网终端用户", "重慶市互聯網發展", "5G基站", "zzqq"]


def _reference(seed_index):
    """bm25s's own float32 BM25 ("lucene") over the seed chunks' tokens."""
    import bm25s

    tokenize = get_tokenizer(seed_index.config.tokenizer)
    token_lists = [tokenize(c.index_text()) for c in seed_index.chunks]
    assert all(token_lists)  # bm25s cannot index a chunk without tokens
    reference = bm25s.BM25(k1=0.9, b=0.5, method="lucene")
    reference.index(token_lists, show_progress=False)
    return reference, token_lists


def _top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k highest positive scores, best first, ties by chunk number (a full
    sort: what LexicalIndex.top must equal)."""
    ids = np.flatnonzero(scores > 0)
    best = ids[np.lexsort((ids, -scores[ids]))][:k]
    return best, scores[best]


def _postings(token_lists, directory, segment_postings=terms.SEGMENT_POSTINGS):
    builder = PostingsBuilder(directory / "work", segment_postings=segment_postings)
    for tokens in token_lists:
        builder.add(*count_terms(tokens))
    builder.write(directory / "postings", k1=0.9, b=0.5)
    return LexicalIndex.load(directory / "postings")


def test_quantised_bm25_equals_bm25s_within_half_a_step(seed_index, tmp_path):
    reference, token_lists = _reference(seed_index)
    ours = _postings(token_lists, tmp_path)
    tokenize = get_tokenizer(seed_index.config.tokenizer)
    for query in QUERIES:
        q = [t for t in tokenize(query, query=True) if t in reference.vocab_dict]
        expected = reference.get_scores(q) if q else np.zeros(len(token_lists))
        # Each posting is off by at most half its term's step (max / 255).
        step = sum(ours.postings.max_score(ours.term_id(t)) / IMPACT_LEVELS for t in q)
        assert np.abs(ours.scores(q) - expected).max(initial=0) <= step / 2 + 1e-5
        assert ours.scores(q).any() == bool(q)


def test_quantised_scores_rank_the_seed_questions_as_float_scores_do(seed_index):
    """Every seed question x k in {1, 5, 50}: the gold document and the answer
    string are found in the top k exactly as often as with bm25s's float scores."""
    from assistant.evaluation import load_questions

    from .conftest import ROOT

    reference, _ = _reference(seed_index)
    tokenize = get_tokenizer(seed_index.config.tokenizer)
    lexical, chunks = seed_index.engine.lexical, seed_index.chunks
    found = {("float", k): [0, 0] for k in (1, 5, 50)} | {("8-bit", k): [0, 0] for k in (1, 5, 50)}
    questions = load_questions(ROOT / "eval" / "seeds_qa.jsonl")
    for q in questions:
        tokens = [t for t in tokenize(q.question, query=True) if t in reference.vocab_dict]
        exact = reference.get_scores(tokens).astype(np.float32) if tokens else np.zeros(len(chunks), np.float32)
        for k in (1, 5, 50):
            for kind, ids in (("float", _top(exact, k)[0]), ("8-bit", lexical.top(tokens, k)[0])):
                top = [chunks[int(i)] for i in ids]
                found[kind, k][0] += any(c.doc_id in q.doc_ids for c in top)
                found[kind, k][1] += any(a in c.quote for c in top for a in q.answers)
    for k in (1, 5, 50):
        assert found["8-bit", k] == found["float", k], (k, found)
    assert found["8-bit", 5][0] >= 0.8 * len(questions)  # the comparison is not vacuous


def test_spilled_segments_equal_one_pass(seed_index, tmp_path):
    _, token_lists = _reference(seed_index)
    one = _postings(token_lists, tmp_path / "one")
    spilled = _postings(token_lists, tmp_path / "spilled", segment_postings=5_000)
    assert len(list((tmp_path / "spilled").glob("work/segment*"))) == 0  # cleaned up
    for name in ("ptr", "first", "width", "gap_at", "scale", "impact"):
        np.testing.assert_array_equal(getattr(one.postings, name), getattr(spilled.postings, name))
    total = int(one.postings.ptr[-1])
    np.testing.assert_array_equal(one.postings.tf(0, total), spilled.postings.tf(0, total))
    assert one.postings.tf(0, total).max() > 1 and one.postings.tf(5, 5).size == 0
    assert one.postings.vocab.terms() == spilled.postings.vocab.terms()


def _files(path):
    return {
        name: (path / name).read_bytes()
        for name in ("chunks.jsonl", "chunks.offsets.npy", "postings/ptr.npy", "postings/impact.bin",
                     "postings/gaps1.bin", "postings/tf.z", "postings/vocab.blob")
    }


def test_parallel_build_is_identical_to_serial(corpus, config, tmp_path, monkeypatch):
    serial = build_index([corpus], tmp_path / "serial", config.replace(index_workers=1))
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    parallel = build_index([corpus], tmp_path / "parallel", config.replace(index_workers=2))
    assert serial.workers == 1 and parallel.workers == 2
    assert _files(tmp_path / "serial") == _files(tmp_path / "parallel")


def test_incremental_update_scores_like_a_fresh_build(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    (corpus / "new_note.md").write_text("# 贵州报告\n\n贵州省5G基站数达到12.3万个。\n", encoding="utf-8")
    (corpus / "003_3c32a1191f29727c.txt").unlink()
    build_index([corpus], path, config)
    fresh_path = tmp_path / "fresh"
    build_index([corpus], fresh_path, config)

    updated, fresh = Index.load(path, config), Index.load(fresh_path, config)
    # Same chunks in the same order, byte for byte; terms of the removed
    # document are gone from the vocabulary; every chunk scores the same.
    assert (path / "chunks.jsonl").read_bytes() == (fresh_path / "chunks.jsonl").read_bytes()
    assert set(updated.engine.lexical.postings.vocab.terms()) == set(fresh.engine.lexical.postings.vocab.terms())
    tokenize = get_tokenizer(config.tokenizer)
    for query in QUERIES + ["贵州省5G基站数"]:
        tokens = tokenize(query, query=True)
        np.testing.assert_allclose(updated.engine.lexical.scores(tokens), fresh.engine.lexical.scores(tokens), rtol=1e-6)


def test_chunks_are_read_on_demand(corpus, config, tmp_path):
    """Opening an index reads no chunk into memory: chunks.jsonl is mapped, and
    a chunk is parsed from it when asked for. So a character changed in the
    file after the index was opened shows in a chunk read afterwards."""
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    index = Index.load(path, config)
    chunks = index.chunks
    assert isinstance(chunks.offsets, np.memmap)
    file, start = path / "chunks.jsonl", int(chunks.offsets[len(chunks) - 1])
    data = file.read_bytes()
    last = json.loads(data[start:])["text"]
    cjk = next(c for c in last if "\u4e00" <= c <= "\u9fff")  # 3 bytes in UTF-8, as 〇 is
    with open(file, "r+b") as f:  # in place: the mapping sees it, a copy made at load would not
        f.seek(data.index(cjk.encode(), data.index(b'"text": ', start)))
        f.write("〇".encode())
    assert chunks[-1].text == last.replace(cjk, "〇", 1)

    assert isinstance(chunks[0], Chunk) and chunks[-1].doc_id == list(index.documents)[-1]
    assert sum(1 for _ in chunks) == len(chunks) == index.manifest["n_chunks"]
    for doc_id in index.documents:
        start, end = index.engine.data.chunk_range(doc_id)
        assert {chunks[i].doc_id for i in range(start, end)} == {doc_id}
    with pytest.raises(IndexError):
        chunks[len(chunks)]


def _old_format_index(corpus, config, path):
    """An index as an earlier version of the code left it (format 1)."""
    build_index([corpus], path, config)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def test_old_format_index_is_rebuilt(corpus, config, tmp_path):
    path = _old_format_index(corpus, config, tmp_path / "idx")
    report = build_index([corpus], path, config)
    assert sorted(report.added) == SEED_IDS and "another version" in report.summary()
    assert Index.load(path, config).search("5G基站", 1)


def test_pruned_top_k_equals_exhaustive_ranking(seed_index):
    from assistant.evaluation import load_questions

    from .conftest import ROOT

    tokenize = get_tokenizer(seed_index.config.tokenizer)
    questions = [q.question for q in load_questions(ROOT / "eval" / "seeds_qa.jsonl")]
    # Prune even on the small seed index, as early as the bound allows.
    index = LexicalIndex.load(seed_index.path / "postings", exhaustive_postings=0, search_cost=0)
    compared = 0
    for question in questions + ["重庆 重庆 重庆 网民", "的的的"]:
        tokens = tokenize(question, query=True)
        for k in (1, 5, 50):
            ids, scores = index.top(tokens, k)
            full = index.scores(tokens)
            _, want_scores = _top(full, k)
            # The k best scores, each belonging to the chunk returned with it
            # (a valid top k even where rounding reorders exact ties).
            np.testing.assert_allclose(scores, want_scores, rtol=1e-5)
            np.testing.assert_allclose(full[ids], scores, rtol=1e-5)
            compared += 1
    assert compared == 3 * (len(questions) + 2)


def test_assistant_rebuilds_an_old_format_index(corpus, config, tmp_path):
    from assistant import open_assistant

    path = _old_format_index(corpus, config, tmp_path / "idx")
    assistant = open_assistant(config, corpus=corpus, index_path=path, answerer="extractive")
    assert "2495万人" in assistant.ask("2024年重庆网民规模是多少？").text


def test_block_lookup_equals_full_decoding(tmp_path):
    """Candidates looked up through the skip entries (only their blocks of
    SKIP postings decoded) are found at the same positions as in the whole list."""
    from assistant.index.postings import SKIP

    rng = np.random.default_rng(0)
    token_lists = [["all"] + ["third"] * (i % 3 == 0) + ["rare"] * (rng.random() < 0.07) + [f"w{i % 20}"]
                   for i in range(5000)]
    postings = _postings(token_lists, tmp_path).postings
    for term in ("all", "third", "rare", "w7"):
        t = postings.vocab.get(term)
        docs = postings.docs(t)
        assert postings.df(t) > SKIP and np.all(np.diff(docs) > 0)
        for size in (1, 3, 20):
            chunks = np.sort(rng.choice(5000, size, replace=False))
            found, positions = postings.lookup(t, chunks)
            expected = np.isin(chunks, docs)
            np.testing.assert_array_equal(found, expected)
            np.testing.assert_array_equal(docs[positions], chunks[expected])


def test_worker_encoding_keeps_counts_and_empty_chunks(tmp_path):
    """A worker's numbering: first-seen order, counts capped at 255 for storage
    but chunk lengths exact, chunks without terms (even the last) kept."""
    from assistant.index.terms import LocalVocabulary

    local = LocalVocabulary("build")
    first = local.encode([(["a", "b"], [2, 1]), ([], []), (["a"], [300]), ([], [])])
    assert first.new_terms == ["a", "b"] and first.indptr.tolist() == [0, 2, 2, 3, 3]
    assert first.tf.tolist() == [2, 1, 255] and first.doclen.tolist() == [3, 0, 300, 0]
    second = local.encode([(["c", "a"], [1, 1])])
    assert second.first_new == 2 and second.new_terms == ["c"] and second.ids.tolist() == [2, 0]
    builder = PostingsBuilder(tmp_path / "work")
    builder.add_encoded(first)
    builder.add_encoded(second)
    builder.write(tmp_path / "postings", k1=0.9, b=0.5)
    index = LexicalIndex.load(tmp_path / "postings")
    assert index.size == 5 and index.doc_freq("a") == 3 and index.doc_freq("c") == 1
    assert index.top(["a"], 5)[0].tolist()[0] in (0, 2, 4)


def test_builds_of_different_indexes_in_threads_number_terms_apart(corpus, config, tmp_path):
    """Each build has its own term numbering in a process (the UI server can
    build while a script builds another index): concurrent in-process builds
    write the same files as one alone."""
    import threading

    serial = config.replace(index_workers=1)
    build_index([corpus], tmp_path / "alone", serial)
    errors = []

    def run(name):
        try:
            build_index([corpus], tmp_path / name, serial)
        except Exception as exc:  # reported below, with its message
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(3):
        assert _files(tmp_path / f"t{i}") == _files(tmp_path / "alone")
