"""Lexical index on the real seeds: retrieval, script neutrality, persistence,
incremental updates, mismatch refusal, bad input."""

import json
import shutil

import pytest

from assistant import Index, IndexMismatchError, IndexNotFoundError, build_index
from assistant.index.store import FORMAT_VERSION
from assistant.textnorm import to_simplified, to_traditional

from .conftest import SEED_IDS, SEEDS


def _top_docs(index, query, k=5):
    return [h.chunk.doc_id for h in index.search(query, k)]


def test_table_row_found_for_telecom_revenue(seed_index):
    hits = seed_index.search("2024年四川电信业务收入是多少？", 3)
    assert hits[0].chunk.kind == "table_row"
    assert "电信业务收入(亿元)\t825.8" in hits[0].chunk.text
    assert hits[0].chunk.section_path.startswith("数字四川发展报告(2024年)")


def test_simplified_query_finds_traditional_passage(seed_index):
    hit = seed_index.search("2023年重庆网民数量", 1)[0]
    assert hit.chunk.doc_id == "001_cb2ac3dd287b81b5"
    assert "2362萬人" in hit.chunk.text  # shown in its original script


def test_traditional_query_finds_simplified_passage(seed_index):
    query = to_traditional("四川省数字服务贸易额")
    assert query != "四川省数字服务贸易额"
    hit = seed_index.search(query, 1)[0]
    assert hit.chunk.doc_id == "004_432675f2c8dad794"
    assert "541.6亿元" in hit.chunk.text


def test_scripts_give_the_same_ranking(seed_index):
    for q in ["重庆IPv6用户连接数", "網絡安全業務收入", "数字乡村试点"]:
        assert _top_docs(seed_index, to_simplified(q)) == _top_docs(seed_index, to_traditional(q))


def test_two_years_surface_both_reports(seed_index):
    docs = _top_docs(seed_index, "2023年和2024年重庆网民规模分别是多少？", 5)
    assert "000_fc5af34e47ea2133" in docs and "001_cb2ac3dd287b81b5" in docs


def test_hits_carry_section_paths_and_metadata(seed_index):
    hit = seed_index.search("数字经济核心产业增加值占GDP比重", 1)[0]
    d = hit.to_dict()
    assert d["doc_id"] == "004_432675f2c8dad794"
    assert d["section_path"].startswith("数字四川发展报告(2024年) › ")
    assert d["year"] == 2024 and d["score"] > 0 and d["bm25"] == d["score"]


def test_unknown_words_return_nothing(seed_index):
    assert seed_index.search("zzqqxx", 5) == []


def test_index_round_trip(seed_index):
    info = seed_index.info()
    assert sorted(d["doc_id"] for d in info["documents"]) == SEED_IDS
    assert info["mode"] == "lexical" and info["chunks"] == len(seed_index.chunks)
    manifest = json.loads((seed_index.path / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    # Every data file is listed with its size and checksum.
    assert {"chunks.jsonl", "postings/impact.bin", "postings/vocab.blob"} <= set(manifest["files"])
    for name, entry in manifest["files"].items():
        assert (seed_index.path / name).stat().st_size == entry["bytes"] and len(entry["sha256"]) == 64
    assert {"rjieba", "opencc"} <= set(manifest["libraries"])
    assert manifest["settings"]["tokenizer"] == "jieba+bigram+char"
    for doc in manifest["documents"].values():
        assert len(doc["sha256"]) == 64 and doc["n_chunks"] > 0


def test_incremental_add_change_delete(corpus, config, tmp_path):
    path = tmp_path / "idx"
    first = build_index([corpus], path, config)
    assert sorted(first.added) == SEED_IDS and not first.changed

    again = build_index([corpus], path, config)
    assert sorted(again.unchanged) == SEED_IDS and not (again.added or again.changed or again.removed)

    (corpus / "new_note.md").write_text("# 贵州报告\n\n贵州省5G基站数达到12.3万个。\n", encoding="utf-8")
    telecom = corpus / "002_b984ad9839ba7166.txt"
    telecom.write_text(telecom.read_text(encoding="utf-8").replace("5777万户", "5888万户"), encoding="utf-8")
    (corpus / "003_3c32a1191f29727c.txt").unlink()
    report = build_index([corpus], path, config)
    assert report.added == ["new_note"]
    assert report.changed == ["002_b984ad9839ba7166"]
    assert report.removed == ["003_3c32a1191f29727c"]
    assert len(report.unchanged) == 3

    index = Index.load(path, config)
    assert index.search("贵州省5G基站数", 1)[0].chunk.doc_id == "new_note"
    assert "5888万户" in index.search("移动物联网终端用户增长至", 1)[0].chunk.text
    assert "003_3c32a1191f29727c" not in {c.doc_id for c in index.chunks}
    # Chunks of unchanged documents are carried over verbatim.
    fresh = build_index([corpus], tmp_path / "fresh", config)
    assert fresh.chunks == report.chunks


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(corpus, config, tmp_path):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "latin1.txt").write_bytes("caf\xe9 \xff\xfe".encode("latin-1") * 3 + b"\x81\x82")
    (corpus / "slides.key").write_bytes(b"PK")
    with open(corpus / "huge.txt", "wb") as f:
        f.write(("重庆" * 1000 + "。\n").encode() * 8800)  # ~53 MB
    report = build_index([corpus], tmp_path / "idx", config)
    reasons = {item["path"].rsplit("/", 1)[-1]: item["reason"] for item in report.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "binary file" in reasons["binary.txt"]
    assert "cannot decode" in reasons["latin1.txt"]
    assert "unsupported file type" in reasons["slides.key"]
    assert "file too large" in reasons["huge.txt"]
    assert sorted(report.added) == SEED_IDS


def test_a_file_that_turns_bad_keeps_its_previous_version(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    (corpus / "000_fc5af34e47ea2133.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = build_index([corpus], path, config)
    assert "previous version kept" in report.skipped[0]["reason"]
    index = Index.load(path, config)
    assert index.search("2024年重庆网民规模", 1)[0].chunk.doc_id == "000_fc5af34e47ea2133"


def test_manifest_mismatch_refuses_with_the_difference(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    changed = config.replace(chunk_size=500, tokenizer="bigram")
    with pytest.raises(IndexMismatchError) as info:
        Index.load(path, changed)
    message = str(info.value)
    assert "chunk_size: index 400 != config 500" in message
    assert "tokenizer" in message and "--rebuild" in message
    with pytest.raises(IndexMismatchError):
        build_index([corpus], path, changed)
    report = build_index([corpus], path, changed, rebuild=True)
    assert sorted(report.added) == SEED_IDS
    assert Index.load(path, changed).search("电信业务收入", 1)


def test_missing_index_is_a_clear_error(config, tmp_path):
    with pytest.raises(IndexNotFoundError, match="assistant index"):
        Index.load(tmp_path / "nowhere", config)


def test_interrupted_swap_is_recovered(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    path.rename(tmp_path / "idx.old")  # as if killed between the two renames
    assert Index.load(path, config).search("电信业务收入", 1)


def test_duplicate_document_ids_are_reported(corpus, config, tmp_path):
    sub = corpus / "sub"
    sub.mkdir()
    shutil.copy(SEEDS / "000_fc5af34e47ea2133.txt", sub / "000_fc5af34e47ea2133.txt")
    report = build_index([corpus], tmp_path / "idx", config)
    assert any("duplicate document id" in s["reason"] for s in report.skipped)


def test_empty_corpus_gives_an_empty_index(config, tmp_path):
    corpus = tmp_path / "empty"
    corpus.mkdir()
    (corpus / "blank.txt").write_text("   \n")
    report = build_index([corpus], tmp_path / "idx", config)
    assert report.documents == 0 and report.chunks == 0
    assert report.skipped[0]["reason"] == "no text content"
    index = Index.load(tmp_path / "idx", config)
    assert index.search("重庆网民规模", 5) == []


def test_removing_every_document_empties_the_index(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    for f in corpus.glob("*.txt"):
        f.unlink()
    report = build_index([corpus], path, config)
    assert sorted(report.removed) == SEED_IDS and report.chunks == 0
    assert Index.load(path, config).search("电信业务收入", 3) == []
