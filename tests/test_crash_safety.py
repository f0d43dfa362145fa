"""Faults: `assistant index` killed at many points leaves the previous index
loadable and unchanged; damaged files are detected and named; a swap cut
between its two renames is repaired by the next reader."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from assistant import Index, IndexCorruptError, build_index
from assistant.cli import main

from .conftest import ROOT, SEED_IDS

KILL_AFTER_S = [0.1, 0.3, 0.8, 1.3, 1.8, 2.5, 3.2, 4.0, 5.0]
QUESTION = "2024年重庆网民规模是多少？"
COPIES = 320


def _grow(corpus, copies: int) -> None:
    """Many more documents (renamed seed copies with one changed number each),
    so a build runs for several seconds and can be interrupted anywhere."""
    seeds = sorted(p for p in corpus.glob("*.txt"))
    for i in range(copies):
        src = seeds[i % len(seeds)]
        text = src.read_text(encoding="utf-8").replace("2024", f"2{i:03d}", 1)
        (corpus / f"copy{i:03d}.txt").write_text(text, encoding="utf-8")


def _state(path, config):
    index = Index.load(path, config, verify=True)
    return sorted(index.documents), [(h.chunk.chunk_id, round(h.score, 4)) for h in index.search(QUESTION, 5)]


def test_killed_index_runs_leave_the_previous_index_intact(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    before = _state(path, config)
    assert before[0] == SEED_IDS
    # 320 copies: the build outlasts the last kill point (5 s) even on a quiet
    # machine (about 8 s with jieba-rs), so every kill lands inside it.
    _grow(corpus, COPIES)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "assistant.cli", "index", str(corpus), "--index", str(path), "--lexical", "-q"]
    killed, stages = 0, set()
    for delay in KILL_AFTER_S:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                cwd=tmp_path)
        time.sleep(delay)
        tmp = path.with_name(path.name + ".tmp")
        stage = "writing" if tmp.exists() else "reading"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            killed += 1
            stages.add(stage)
        # Whatever happened, the index on disk is the old one or a complete new one.
        documents, hits = _state(path, config)
        if proc.returncode == -signal.SIGKILL and stage == "writing":
            assert (documents, hits) == before, f"killed after {delay}s ({stage})"
        elif (documents, hits) != before:
            # Finished, or killed after its swap (while tidying up): the new index, whole.
            assert len(documents) == len(SEED_IDS) + COPIES, f"killed after {delay}s ({stage})"
    print(f"kill points: {killed} of {len(KILL_AFTER_S)} runs killed, during {sorted(stages)}")
    assert killed >= len(KILL_AFTER_S) - 2 and stages == {"reading", "writing"}, (killed, stages)

    # The next run completes and leaves no temporary directory behind.
    assert main(["index", str(corpus), "--index", str(path), "--lexical", "-q"]) == 0
    assert len(_state(path, config)[0]) == len(SEED_IDS) + COPIES
    assert not path.with_name(path.name + ".tmp").exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
@pytest.mark.parametrize("name", ["chunks.jsonl", "postings/impact.bin", "postings/gaps1.bin"])
def test_damaged_files_are_named(corpus, config, tmp_path, capsys, name, damage):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    file = path / name
    data = file.read_bytes()
    if damage == "truncate":
        file.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        file.write_bytes(data[:-10] + bytes(b ^ 0xFF for b in data[-10:]))
    else:
        file.unlink()
    with pytest.raises(IndexCorruptError) as err:
        Index.load(path, config)
    assert name in str(err.value) and "assistant index --rebuild" in str(err.value)
    assert main(["ask", "--index", str(path), QUESTION]) == 1
    assert name in capsys.readouterr().err
    # Indexing again notices the damage and rebuilds from the sources.
    report = build_index([corpus], path, config)
    assert sorted(report.added) == SEED_IDS and "damaged" in report.summary()
    assert Index.load(path, config, verify=True).search(QUESTION, 1)


def test_unreadable_manifest_is_named(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    (path / "manifest.json").write_text('{"format_version": 2, "sett')
    with pytest.raises(IndexCorruptError, match="manifest.json"):
        Index.load(path, config)


def test_swap_cut_between_renames_is_repaired(corpus, config, tmp_path):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    before = _state(path, config)
    # A crash after `idx -> idx.old` and before `idx.tmp -> idx`:
    path.rename(path.with_name("idx.old"))
    assert _state(path, config) == before
    assert not path.with_name("idx.old").exists()


def test_verify_command(corpus, config, tmp_path, capsys):
    path = tmp_path / "idx"
    build_index([corpus], path, config)
    assert main(["info", "--index", str(path), "--verify"]) == 0
    assert "every file matches" in capsys.readouterr().out
    manifest = json.loads((path / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"chunks.jsonl", "chunks.offsets.npy", "postings/vocab.blob"}
