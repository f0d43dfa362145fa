"""Build or incrementally update an index from source files.

Only added or changed documents are read, cleaned, chunked, tokenized and
embedded; unchanged ones are carried over from the existing index. BM25
statistics are global, so the BM25 matrix is rebuilt from stored tokens (cheap)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import Config
from ..documents import discover, file_sha256, read_document
from ..errors import DocumentError, IndexMismatchError, IndexNotFoundError
from ..tokenize import get_tokenizer
from . import store
from .dense import DenseIndex, Embedder
from .lexical import LexicalIndex


@dataclass
class IndexReport:
    path: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"path", "reason"}
    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    embedding_model: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        parts = [
            f"{self.documents} documents, {self.chunks} chunks",
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)},"
            f" unchanged {len(self.unchanged)}, skipped {len(self.skipped)}",
            f"retrieval: {'hybrid (BM25 + ' + self.embedding_model + ')' if self.embedding_model else 'lexical (BM25)'}",
            f"{self.seconds:.1f}s -> {self.path}",
        ]
        return "; ".join(parts)


_GENERIC_NAMES = {"docs", "documents", "corpus", "data", "files", "texts"}


def default_index_path(sources: list[str | Path], config: Config) -> Path:
    """index/<name of the corpus folder> (or of the first file's folder); a
    generic folder name is prefixed by its parent's (cmrc2018_dev/docs ->
    index/cmrc2018_dev-docs) so two corpora do not share one index."""
    first = Path(sources[0]) if sources else Path(config.corpus_dir)
    folder = (first if first.is_dir() or not first.suffix else first.parent).resolve()
    name = folder.name or "default"
    if name.lower() in _GENERIC_NAMES and folder.parent.name:
        name = f"{folder.parent.name}-{name}"
    return Path(config.index_root) / name


def build_index(
    sources: list[str | Path] | None = None,
    index_path: str | Path | None = None,
    config: Config | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> IndexReport:
    """Make the index at `index_path` reflect the files under `sources`."""
    config = config or Config.load()
    sources = [str(s) for s in (sources or [config.corpus_dir])]
    path = Path(index_path) if index_path else default_index_path(sources, config)
    started = time.perf_counter()
    report = IndexReport(path=str(path))

    old = None if rebuild else _load_old(path, config)
    if old is not None and embedder is not None and old.embedding:
        if old.embedding.get("model") != embedder.name:
            raise IndexMismatchError(
                path, [f"embedding model: index {old.embedding.get('model')!r} != config {embedder.name!r}"]
            )
    tokenize = get_tokenizer(config.tokenizer)
    old_docs = old.documents if old else {}
    old_chunks_by_doc: dict[str, list[int]] = {}
    if old:
        for i, chunk in enumerate(old.chunks):
            old_chunks_by_doc.setdefault(chunk.doc_id, []).append(i)

    seen: dict[str, str] = {}
    new_docs: dict[str, dict] = {}
    parts: list[tuple[str, list, list, list | None, str]] = []  # doc_id, chunks, tokens, vecs, text

    def carry_over(doc_id: str, file: Path) -> None:
        idx = old_chunks_by_doc.get(doc_id, [])
        vecs = [old.vectors[i] for i in idx] if old.vectors is not None else None
        parts.append(
            (doc_id, [old.chunks[i] for i in idx], [old.tokens[i] for i in idx], vecs, old.texts[doc_id])
        )
        new_docs[doc_id] = old_docs[doc_id]
        seen[doc_id] = str(file)

    files, problems = discover(sources)
    report.skipped.extend({"path": p, "reason": r} for p, r in problems)
    max_bytes = int(config.max_file_mb * 2**20)
    for n, file in enumerate(files, 1):
        if progress:
            progress(str(file), n, len(files))
        doc_id = file.stem
        if doc_id in seen:
            report.skipped.append(
                {"path": str(file), "reason": f"duplicate document id {doc_id!r} (also {seen[doc_id]}); rename one"}
            )
            continue
        try:
            sha = file_sha256(file)
        except OSError as exc:
            report.skipped.append({"path": str(file), "reason": f"cannot read file: {exc.strerror or exc}"})
            continue
        previous = old_docs.get(doc_id)
        if previous and previous["sha256"] == sha and previous["path"] == str(file):
            carry_over(doc_id, file)
            report.unchanged.append(doc_id)
            continue
        try:
            doc = read_document(file, config.chunk_size, config.chunk_overlap, max_bytes, sha)
        except DocumentError as exc:
            report.skipped.append({"path": str(file), "reason": exc.reason})
            if previous:  # keep the last good version rather than losing it
                carry_over(doc_id, file)
                report.skipped[-1]["reason"] += " (previous version kept in the index)"
            continue
        seen[doc_id] = str(file)
        tokens = [tokenize(c.index_text()) for c in doc.chunks]
        parts.append((doc_id, doc.chunks, tokens, None, doc.text))
        new_docs[doc_id] = doc.meta()
        (report.changed if previous else report.added).append(doc_id)
    report.removed = sorted(set(old_docs) - set(new_docs))

    chunks = [c for _, cs, _, _, _ in parts for c in cs]
    tokens = [t for _, _, ts, _, _ in parts for t in ts]
    vectors = _vectors(parts, embedder, report) if embedder is not None else None

    manifest = {
        "format_version": store.FORMAT_VERSION,
        "created_at": (old.manifest.get("created_at") if old else None) or time.strftime("%Y-%m-%dT%H:%M:%S"),
        "settings": store.index_settings(config),
        "embedding": embedder.describe() if embedder is not None else None,
        "libraries": store.library_versions(),
        "sources": [str(Path(s).resolve()) for s in sources],
        "documents": new_docs,
        "skipped": report.skipped,
        "n_chunks": len(chunks),
    }
    data = store.IndexData(manifest, chunks, tokens, {d: t for d, _, _, _, t in parts}, vectors)
    lexical = LexicalIndex.build(tokens, config.bm25_k1, config.bm25_b)
    dense = DenseIndex.build(vectors) if vectors is not None else None
    store.write_data(data, path, lexical, dense)

    report.documents = len(new_docs)
    report.chunks = len(chunks)
    report.embedding_model = embedder.name if embedder is not None else None
    report.seconds = time.perf_counter() - started
    return report


def _load_old(path: Path, config: Config):
    try:
        manifest = store.read_manifest(path)
    except IndexNotFoundError:
        return None
    store.check_compatible(manifest, config, path)
    return store.load_data(path, with_tokens=True)


def _vectors(parts, embedder: Embedder, report: IndexReport) -> np.ndarray:
    """Reuse stored vectors of unchanged documents; embed everything else."""
    todo = [(pi, ci) for pi, (_, cs, _, vecs, _) in enumerate(parts) if vecs is None for ci in range(len(cs))]
    fresh = embedder.embed_passages([parts[pi][1][ci].index_text() for pi, ci in todo]) if todo else None
    report.embedded_chunks = len(todo)
    rows: list[np.ndarray] = []
    k = 0
    for _, cs, _, vecs, _ in parts:
        if vecs is not None:
            rows.extend(vecs)
        else:
            rows.extend(fresh[k : k + len(cs)])
            k += len(cs)
    if not rows:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack(rows).astype(np.float32)
