"""The on-disk index: a directory of plain files with a versioned manifest.

    manifest.json   format version, settings, library versions, embedding model,
                    per-document hashes and metadata, skipped files
    chunks.jsonl    one chunk per line (text, offsets, section path, ...)
    tokens.jsonl    BM25 tokens per chunk, so unchanged documents are not re-tokenized
    docs/<id>.txt   cleaned text of each document (chunk offsets point into it)
    bm25/           bm25s index files
    vectors.npy     passage embeddings, row-aligned with chunks.jsonl (dense only)
    dense.faiss     FAISS index over vectors.npy (dense only)

Writes go to a sibling temporary directory that replaces the old one only when
complete, so an interrupted build never leaves a half-written index behind."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config
from ..errors import IndexMismatchError, IndexNotFoundError

FORMAT_VERSION = 1
# Bump when cleaning or chunking rules change in a way that changes chunk text.
PIPELINE_VERSION = 2


def index_settings(config: Config) -> dict:
    """The settings an index depends on: any difference means a rebuild."""
    return {
        "pipeline_version": PIPELINE_VERSION,
        "chunk_size": config.chunk_size,
        "chunk_overlap": config.chunk_overlap,
        "tokenizer": config.tokenizer,
        "bm25_k1": config.bm25_k1,
        "bm25_b": config.bm25_b,
    }


def library_versions() -> dict:
    out = {}
    for name in ("assistant", "bm25s", "jieba", "opencc", "faiss-cpu", "sentence-transformers"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


@dataclass
class IndexData:
    """Everything in an index directory, in memory."""

    manifest: dict
    chunks: list[Chunk]
    tokens: list[list[str]]
    texts: dict[str, str]  # doc_id -> cleaned text
    vectors: np.ndarray | None = None
    path: Path | None = None

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest.get("documents", {})

    @property
    def embedding(self) -> dict | None:
        return self.manifest.get("embedding")


def check_compatible(manifest: dict, config: Config, path: Path) -> None:
    differences = []
    if manifest.get("format_version") != FORMAT_VERSION:
        differences.append(
            f"format_version: index {manifest.get('format_version')} != code {FORMAT_VERSION}"
        )
    stored = manifest.get("settings", {})
    for key, value in index_settings(config).items():
        if stored.get(key) != value:
            differences.append(f"{key}: index {stored.get(key)!r} != config {value!r}")
    if differences:
        raise IndexMismatchError(path, differences)


def read_manifest(path: Path) -> dict:
    file = Path(path) / "manifest.json"
    if not file.exists():
        _recover(Path(path))
    if not file.exists():
        raise IndexNotFoundError(
            f"no index at {path}; build one with `assistant index` (or `make run`)"
        )
    return json.loads(file.read_text(encoding="utf-8"))


def load_data(path: Path, *, with_tokens: bool = False, with_vectors: bool = True) -> IndexData:
    path = Path(path)
    manifest = read_manifest(path)
    chunks = [Chunk.from_dict(json.loads(line)) for line in _lines(path / "chunks.jsonl")]
    tokens = [json.loads(line) for line in _lines(path / "tokens.jsonl")] if with_tokens else []
    texts = {
        doc_id: (path / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")
        for doc_id in manifest.get("documents", {})
    }
    vectors = None
    if with_vectors and (path / "vectors.npy").exists():
        vectors = np.load(path / "vectors.npy")
    return IndexData(manifest, chunks, tokens, texts, vectors, path)


def _lines(file: Path):
    with open(file, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line


def write_data(data: IndexData, path: Path, lexical, dense) -> None:
    """Write all files into `<path>.tmp`, then swap it in place of `path`."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    old = path.with_name(path.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "docs").mkdir(parents=True)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
        for chunk in data.chunks:
            f.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    with open(tmp / "tokens.jsonl", "w", encoding="utf-8") as f:
        for tokens in data.tokens:
            f.write(json.dumps(tokens, ensure_ascii=False) + "\n")
    for doc_id, text in data.texts.items():
        (tmp / "docs" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    lexical.save(tmp / "bm25")
    if dense is not None and data.vectors is not None:
        np.save(tmp / "vectors.npy", data.vectors)
        dense.save(tmp / "dense.faiss")
    data.manifest["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    # The manifest is written last: a directory without one is incomplete.
    (tmp / "manifest.json").write_text(
        json.dumps(data.manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def _recover(path: Path) -> None:
    """Finish a swap interrupted between its two renames."""
    old = path.with_name(path.name + ".old")
    if not path.exists() and (old / "manifest.json").exists():
        old.rename(path)
