"""Dense retrieval: a local sentence-transformers model and a FAISS inner-product
index over L2-normalised vectors (i.e. cosine similarity).

Both libraries are optional and heavy; they are imported only here, only when a
model is actually configured and present."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError, ModelError
from ..system import physical_cores
from ..textnorm import to_simplified

# Models trained with instruction prefixes. A model's own `prompts` (in
# config_sentence_transformers.json) take precedence over this table.
_KNOWN_PREFIXES = {
    "e5": ("query: ", "passage: "),
    "bge-small-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-base-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-large-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
}


def _offline() -> None:
    # Read at import time by huggingface_hub/transformers: set before importing them.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@dataclass
class Embedder:
    model: object
    name: str
    query_prefix: str = ""
    passage_prefix: str = ""
    batch_size: int = 32

    @classmethod
    def load(cls, path: str, name: str | None = None, batch_size: int = 32) -> "Embedder":
        _offline()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingDependencyError("sentence-transformers", "dense") from exc
        import torch

        # Matrix kernels gain nothing from hyper-threads; sharing cores with them hurts.
        torch.set_num_threads(physical_cores())
        try:
            model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:  # corrupt or partial model folders raise many types
            raise ModelError(f"cannot load embedding model from {path}: {exc}") from exc
        name = name or path
        query_prefix, passage_prefix = _prefixes(model, name)
        return cls(model, name, query_prefix, passage_prefix, batch_size)

    @property
    def dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or getattr(
            self.model, "get_sentence_embedding_dimension"
        )
        return int(getter())

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            [to_simplified(t) for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]

    def describe(self) -> dict:
        return {
            "model": self.name,
            "dim": self.dim,
            "query_prefix": self.query_prefix,
            "passage_prefix": self.passage_prefix,
        }


def _prefixes(model, name: str) -> tuple[str, str]:
    prompts = getattr(model, "prompts", None) or {}
    if "query" in prompts:
        return prompts["query"], prompts.get("passage", prompts.get("document", ""))
    lowered = name.lower().replace("\\", "/")
    for key, pair in _KNOWN_PREFIXES.items():
        if key in lowered.rsplit("/", 1)[-1] or f"/{key}" in lowered or f"-{key}" in lowered:
            return pair
    return "", ""


class DenseIndex:
    """FAISS inner-product index over normalised vectors, chosen by size: exact
    (IndexFlatIP) up to `exact_max` vectors, HNSW above (graph search is
    sub-linear; M=32 and efConstruction=200 are the usual quality settings from
    Malkov & Yashunin 2018 and the FAISS wiki; efSearch=128 measured in
    bench/faiss_bench.py)."""

    EXACT_MAX = 50_000
    HNSW_M = 32
    HNSW_EF_CONSTRUCTION = 200
    HNSW_EF_SEARCH = 128

    def __init__(self, faiss_index):
        self._index = faiss_index
        if hasattr(faiss_index, "hnsw"):
            faiss_index.hnsw.efSearch = self.HNSW_EF_SEARCH

    @staticmethod
    def _faiss():
        try:
            import faiss
        except ImportError as exc:
            raise MissingDependencyError("faiss-cpu", "dense") from exc
        faiss.omp_set_num_threads(physical_cores())
        return faiss

    @classmethod
    def build(cls, vectors: np.ndarray, exact_max: int | None = None) -> "DenseIndex":
        faiss = cls._faiss()
        dim = vectors.shape[1]
        if len(vectors) <= (cls.EXACT_MAX if exact_max is None else exact_max):
            index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, cls.HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = cls.HNSW_EF_CONSTRUCTION
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @property
    def kind(self) -> str:
        return "hnsw" if hasattr(self._index, "hnsw") else "exact"

    def save(self, path: Path) -> None:
        self._faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        return cls(cls._faiss().read_index(str(path)))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def top(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size)
        if k <= 0:
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        scores, idx = self._index.search(query_vector.reshape(1, -1).astype(np.float32), k)
        keep = idx[0] >= 0
        return idx[0][keep], scores[0][keep]
