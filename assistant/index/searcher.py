"""Load an index and search it: BM25, dense, or both fused by reciprocal rank,
with a gentle per-document penalty so several documents can surface."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config
from ..errors import IndexMismatchError
from ..tokenize import get_tokenizer, use_lazy_dictionary
from . import store
from .builder import default_index_path
from .dense import DenseIndex, Embedder
from .lexical import LexicalIndex


@dataclass
class SearchHit:
    rank: int
    score: float
    chunk: Chunk
    bm25: float | None = None
    dense: float | None = None

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "doc_id": c.doc_id,
            "chunk_id": c.chunk_id,
            "title": c.title,
            "section": c.section,
            "section_path": c.section_path,
            "year": c.year,
            "date": c.date,
            "kind": c.kind,
            "start": c.start,
            "end": c.end,
            "text": c.text,
            "quote": c.quote,
            "bm25": None if self.bm25 is None else round(float(self.bm25), 6),
            "dense": None if self.dense is None else round(float(self.dense), 6),
        }


@dataclass
class Index:
    data: store.IndexData
    lexical: LexicalIndex
    config: Config
    dense: DenseIndex | None = None
    embedder: Embedder | None = None
    notices: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        config: Config | None = None,
        embedder: Embedder | None | str = "auto",
        verify: bool | None = None,
    ) -> "Index":
        """Open the index at `path` (default: the one for `config.corpus_dir`).

        `embedder="auto"` loads the configured embedding model when the index has
        vectors for it and the files are present locally; pass None for lexical only.
        Files are checked against the manifest's sizes, and checksums when the
        index is small or `verify=True` (IndexCorruptError names the bad file)."""
        config = config or Config.load()
        path = Path(path) if path else default_index_path([config.corpus_dir], config)
        # Files are opened under the read lock: a concurrent build swaps only
        # between loads, and once open (memory-mapped) they outlive a swap.
        with store.reading(path):
            data = store.load_data(path, config, verify)
            stored = data.embedding
            notices: list[str] = []
            if embedder == "auto":
                embedder, notices = _auto_embedder(stored, config, path)
            elif embedder is not None and stored and stored["model"] != embedder.name:
                raise IndexMismatchError(
                    path, [f"embedding model: index {stored['model']!r} != embedder {embedder.name!r}"]
                )
            lexical = LexicalIndex.load(path / "bm25")
            dense = None
            if embedder is not None and stored and (path / "dense.faiss").exists():
                dense = DenseIndex.load(path / "dense.faiss")
            else:
                embedder = None
        use_lazy_dictionary()
        return cls(data, lexical, config, dense, embedder, notices)

    @property
    def path(self) -> Path:
        return self.data.path

    @property
    def mode(self) -> str:
        return "hybrid" if self.dense is not None else "lexical"

    @property
    def chunks(self) -> store.ChunkStore:
        return self.data.chunks

    def search(self, query: str, k: int | None = None) -> list[SearchHit]:
        k = k or self.config.top_k
        n_candidates = max(50, 5 * k)
        tokens = get_tokenizer(self.config.tokenizer)(query, query=True)
        bm_idx, bm_scores = self.lexical.top(tokens, n_candidates)
        bm25 = dict(zip(bm_idx.tolist(), bm_scores.tolist()))
        dense: dict[int, float] = {}
        if self.dense is not None:
            d_idx, d_scores = self.dense.top(self.embedder.embed_query(query), n_candidates)
            dense = dict(zip(d_idx.tolist(), d_scores.tolist()))
            fused = _rrf([bm_idx.tolist(), d_idx.tolist()], self.config.rrf_k)
        else:
            fused = bm25
        chosen = _diversify(fused, self.chunks, k, self.config.diversity)
        return [
            SearchHit(rank, score, self.chunks[i], bm25.get(i), dense.get(i) if dense else None)
            for rank, (i, score) in enumerate(chosen, 1)
        ]

    def info(self) -> dict:
        m = self.data.manifest
        return {
            "path": str(self.path),
            "mode": self.mode,
            "embedding": m.get("embedding"),
            "tokenizer": self.config.tokenizer,
            "documents": [
                {"doc_id": d, "title": meta.get("title"), "year": meta.get("year"),
                 "date": meta.get("date"), "chunks": meta.get("n_chunks"), "path": meta.get("path")}
                for d, meta in m.get("documents", {}).items()
            ],
            "chunks": len(self.chunks),
            "skipped": m.get("skipped", []),
            "settings": m.get("settings"),
            "libraries": m.get("libraries"),
            "updated_at": m.get("updated_at"),
            "notices": self.notices,
        }


def _auto_embedder(stored: dict | None, config: Config, path: Path) -> tuple[Embedder | None, list[str]]:
    """Load the configured embedder only if the index has vectors from it; say
    plainly what is missing otherwise. Never downloads."""
    if not config.embedding_model:
        return None, []
    if stored and stored["model"] != config.embedding_model:
        raise IndexMismatchError(
            path, [f"embedding model: index {stored['model']!r} != config {config.embedding_model!r}"]
        )
    from ..models import load_embedder, resolve_embedding_model

    if stored:
        embedder, notice = load_embedder(config)
        return embedder, [notice] if notice else []
    if resolve_embedding_model(config.embedding_model, config.models_dir):
        return None, [
            f"embedding model {config.embedding_model!r} is available but this index has no dense "
            "vectors; run `assistant index` to add them (lexical retrieval until then)"
        ]
    return None, [load_embedder(config)[1]]


def _rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    """Reciprocal-rank fusion: sum of 1 / (k + rank) over the rankings."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, i in enumerate(ranking, 1):
            scores[i] = scores.get(i, 0.0) + 1.0 / (k + rank)
    return scores


def _diversify(scores: dict[int, float], chunks: list[Chunk], k: int, decay: float) -> list[tuple[int, float]]:
    """Greedy top-k where each earlier pick from the same document multiplies a
    candidate's score by `decay` (1.0 = plain ranking)."""
    if not scores:
        return []
    order = sorted(scores.items(), key=lambda kv: -kv[1])
    if decay >= 1.0:
        return order[:k]
    picked: list[tuple[int, float]] = []
    per_doc: dict[str, int] = {}
    remaining = order
    while remaining and len(picked) < k:
        best_j, best_val = 0, -np.inf
        for j, (i, s) in enumerate(remaining):
            val = s * decay ** per_doc.get(chunks[i].doc_id, 0)
            if val > best_val:
                best_j, best_val = j, val
            if s < best_val:  # sorted: no later candidate can beat it
                break
        i, s = remaining.pop(best_j)
        picked.append((i, s))
        per_doc[chunks[i].doc_id] = per_doc.get(chunks[i].doc_id, 0) + 1
    return picked
