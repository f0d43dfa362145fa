"""The Milvus engine: the index published to Milvus (Lite file or server),
searched there. Serving processes read only Milvus; the builder keeps the local
index as its build cache and publishes it (milvus_publish.py).

    <alias>              alias (setting `milvus_collection`, or assistant_<index folder>)
                         -> <alias>_g<ms>, the chunk collection of the current generation
    <alias>_g<ms>        one row per chunk: id (the Milvus chunk number), doc_id,
                         chunk JSON, the tokenizer's terms (BM25 function -> sparse),
                         the passage vector and whether it is embedded (dense only)
    <alias>_g<ms>_docs   the manifest ("@manifest") and one row per document ("doc:<id>")
    <alias>_g<ms>_terms  term -> chunks containing it (doc_freq: idf for the answerers)

Siblings are named from the collection the alias resolves to, so one alias
switch changes everything at once. Connections, naming and the manifest
reader are in milvus_client.py, shared with the publisher."""

from __future__ import annotations

import json
import time
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config
from ..errors import IndexCorruptError, IndexNotFoundError
from . import store
from .engine import Engine
from .milvus_client import (
    MANIFEST_KEY, client, collection_name, encode_term, generations, read_manifest, resolve, siblings, uri, users,
)

# Cache of `generation` (called on every HTTP request): describe_alias plus one
# get cost ~1.7 ms on Lite (measured), so a 1 s staleness buys it back.
GENERATION_TTL_S = 1.0
CHUNK_CACHE = 4096  # chunks kept per engine (as ChunkStore): a search touches a few dozen
TERM_CACHE = 1 << 16  # document frequencies kept per engine


class MilvusChunks:
    """Read-only sequence of the chunks: chunks[i] by primary key, with an LRU
    cache that searches fill from their results."""

    def __init__(self, cli, collection: str, manifest: dict):
        self._cli, self._collection = cli, collection
        self._n = int(manifest.get("n_chunks", 0))
        self._ranges = [(m["first_chunk"], m["n_chunks"]) for m in manifest.get("documents", {}).values()]
        self._cache: OrderedDict[int, Chunk] = OrderedDict()

    def __len__(self) -> int:
        return self._n

    def remember(self, i: int, raw: str) -> None:
        if i not in self._cache:
            self._cache[i] = Chunk.from_dict(json.loads(raw))
            if len(self._cache) > CHUNK_CACHE:
                self._cache.popitem(last=False)

    def __getitem__(self, i: int) -> Chunk:
        i = int(i)
        if i not in self._cache:
            rows = self._cli.get(self._collection, ids=[i], output_fields=["chunk"])
            if not rows:
                raise IndexError(f"no chunk {i} in {self._collection}")
            self.remember(i, rows[0]["chunk"])
        self._cache.move_to_end(i)
        return self._cache[i]

    def __iter__(self):
        # Milvus numbers need not be 0..n-1 after incremental updates.
        for first, n in self._ranges:
            for i in range(first, first + n):
                yield self[i]


class MilvusEngine(Engine):
    name = "milvus"

    def __init__(self, config: Config, alias: str, real: str, manifest: dict, dense: bool):
        self.config, self.alias, self.real, self.manifest = config, alias, real, manifest
        self.uri = uri(config)
        self.cli = client(config)
        self.chunks = MilvusChunks(self.cli, real, manifest)
        self._dense = dense
        self._terms = siblings(real)[1]
        self._df: OrderedDict[str, int | None] = OrderedDict()
        key = (self.uri, config.milvus_token)
        users[key] += 1
        weakref.finalize(self, users.subtract, [key])

    @classmethod
    def open(cls, path: Path, config: Config, verify: bool | None = None,
             wants_dense: Callable[[dict], bool] = lambda manifest: False) -> "MilvusEngine":
        cli = client(config)
        alias = collection_name(path, config)
        where = f"Milvus {uri(config)} collection {alias}"
        real = resolve(cli, alias)
        manifest = read_manifest(cli, siblings(real)[0]) if real else None
        if manifest is None:
            raise IndexNotFoundError(
                f"no index in {where}; build one with `assistant index --set index_backend=milvus "
                f"--set milvus_uri={config.milvus_uri}`")
        store.check_compatible(manifest, config, where)
        if verify:
            rows = cli.query(real, filter="", output_fields=["count(*)"])[0]["count(*)"]
            if rows != manifest["n_chunks"]:
                raise IndexCorruptError(where, real, f"has {rows} chunks, its manifest {manifest['n_chunks']}")
        dense = wants_dense(manifest) and bool(manifest.get("embedding"))
        return cls(config, alias, real, manifest, dense)

    @staticmethod
    def generation(path: Path, config: Config):
        """(collection the alias points at, publish id), at most GENERATION_TTL_S old."""
        alias = collection_name(path, config)
        key = (uri(config), alias)
        cached = generations.get(key)
        if cached and time.monotonic() - cached[0] < GENERATION_TTL_S:
            return cached[1]
        cli = client(config)
        real = resolve(cli, alias)
        value = None
        if real:
            rows = cli.get(siblings(real)[0], ids=[MANIFEST_KEY], output_fields=["json"])
            value = (real, json.loads(rows[0]["json"]).get("publish_id")) if rows else None
        generations[key] = (time.monotonic(), value)
        return value

    @property
    def location(self) -> str:
        return f"{self.uri} collection {self.alias}"

    @property
    def has_dense(self) -> bool:
        return self._dense

    @property
    def size(self) -> int:
        return len(self.chunks)

    def _hits(self, results, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        ids, scores = [], []
        for hit in results[0] if results else []:
            self.chunks.remember(int(hit["id"]), hit["entity"]["chunk"])
            ids.append(int(hit["id"]))
            scores.append(abs(float(hit["distance"])) * scale)
        return np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float32)

    def lexical_top(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Milvus full-text search over our terms. Lite returns -score as the
        distance, a server +score: abs() takes either. Milvus multiplies BM25 by
        (k1 + 1), bm25s's "lucene" variant does not: divided out, so fusion's
        lexical strength sees the local engine's scale."""
        self.prefetch_doc_freq(tokens)
        if not tokens or k <= 0 or not self.size:
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        query = " ".join(encode_term(t) for t in tokens)
        results = self.cli.search(self.real, data=[query], anns_field="sparse", limit=min(k, self.size),
                                  output_fields=["chunk"], search_params={"metric_type": "BM25"})
        return self._hits(results, 1.0 / (1.0 + self.config.bm25_k1))

    def dense_top(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # Rows not embedded yet (zeros) are filtered out: never hits.
        results = self.cli.search(self.real, data=[np.asarray(vector, dtype=np.float32).tolist()],
                                  anns_field="vector", limit=min(k, self.size) or 1, filter="embedded == true",
                                  output_fields=["chunk"], search_params=dense_search_params(self.size))
        return self._hits(results)

    def prefetch_doc_freq(self, tokens: list[str]) -> None:
        """One get for every term not cached yet (a question's terms, before
        the answerers ask for their idf one by one)."""
        wanted = [t for t in dict.fromkeys(tokens) if t not in self._df]
        if wanted:
            found = {r["term"]: int(r["df"]) for r in self.cli.get(self._terms, ids=wanted, output_fields=["df"])}
            for t in wanted:
                self._df[t] = found.get(t)
            while len(self._df) > TERM_CACHE:
                self._df.popitem(last=False)

    def doc_freq(self, token: str) -> int | None:
        if token not in self._df:
            self.prefetch_doc_freq([token])
        return self._df.get(token)



def dense_search_params(n: int) -> dict:
    from .dense import DenseIndex

    params = {"metric_type": "IP"}
    if n > DenseIndex.EXACT_MAX:
        params["params"] = {"ef": DenseIndex.HNSW_EF_SEARCH}
    return params
