"""Dense retrieval: a FAISS inner-product index over L2-normalised vectors (i.e.
cosine similarity). The vectors come from assistant.embedders; FAISS is
imported only when an index has vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError
from ..system import physical_cores


class DenseIndex:
    """FAISS inner-product index over normalised vectors, chosen by size: exact
    (IndexFlatIP) up to `exact_max` vectors, HNSW above (graph search is
    sub-linear; M=32 and efConstruction=200 are the usual quality settings from
    Malkov & Yashunin 2018 and the FAISS wiki; efSearch=128: recall@10 0.996
    on 100,000 real e5 vectors, bench/hnsw_real.py)."""

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
            raise MissingDependencyError("faiss-cpu") from exc
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
        # Rows of zeros are chunks not embedded yet (--no-embed): never hits.
        keep = (idx[0] >= 0) & (scores[0] != 0)
        return idx[0][keep], scores[0][keep]
