"""Deterministic synthetic corpora for scale benchmarks: documents recombining
sentences of the seed reports and the CMRC/DRCD paragraphs (read in place from
../shared; the output goes to bench/data/, which git ignores: it derives from
CC BY-SA text and is never committed).

    .venv/bin/python bench/synth.py 100000      # ~100k chunks -> bench/data/synth-100000/
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.ingest.clean import clean_text  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
_SENTENCE_RE = re.compile(r"[^。！？\n]+[。！？]")
CHUNKS_PER_DOC = 10  # ~4,000 characters per document at chunk size 400


def sentences() -> list[str]:
    pool: list[str] = []
    for p in sorted((ROOT / "seeds").glob("*.txt")):
        pool += _SENTENCE_RE.findall(clean_text(p.read_text(encoding="utf-8")).text)
    for name in ("cmrc2018_dev", "drcd_dev"):
        for p in sorted((SHARED / name / "docs").glob("*.txt")):
            pool += _SENTENCE_RE.findall(p.read_text(encoding="utf-8"))
    return [s.strip() for s in pool if 10 <= len(s.strip()) <= 200]


def generate(n_chunks: int, out: Path, seed: int = 0) -> Path:
    """About `n_chunks` chunks of ~400 characters in n_chunks/10 documents."""
    out.mkdir(parents=True, exist_ok=True)
    done = out / ".complete"
    if done.exists():
        return out
    rng = random.Random(seed)
    pool = sentences()
    n_docs = max(1, n_chunks // CHUNKS_PER_DOC)
    for d in range(n_docs):
        parts = [f"# 合成报告 {d}\n"]
        for section in range(5):
            parts.append(f"\n## {'一二三四五'[section]}、第{section + 1}部分\n")
            for _ in range(2):  # paragraphs of 300-390 characters: one chunk each
                para, size = [], 0
                while size < 300:
                    s = rng.choice(pool)
                    if size + len(s) <= 390:
                        para.append(s)
                        size += len(s)
                parts.append("\n" + "".join(para) + "\n")
        (out / f"doc{d:07d}.txt").write_text("".join(parts), encoding="utf-8")
    done.write_text(str(n_docs))
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    print(generate(n, ROOT / "bench" / "data" / f"synth-{n}"))
