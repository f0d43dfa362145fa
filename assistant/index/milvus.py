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
switch changes everything at once. pymilvus is imported only here."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import weakref
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config
from ..errors import ConfigError, IndexCorruptError, IndexNotFoundError, MissingDependencyError
from . import store
from .engine import Engine

MANIFEST_KEY = "@manifest"
DOC_PREFIX = "doc:"
# Cache of `generation` (called on every HTTP request): describe_alias plus one
# get cost ~1.7 ms on Lite (measured), so a 1 s staleness buys it back.
GENERATION_TTL_S = 1.0
CHUNK_CACHE = 4096  # chunks kept per engine (as ChunkStore): a search touches a few dozen
TERM_CACHE = 1 << 16  # document frequencies kept per engine
READ_BATCH = 5000  # rows per query_iterator page when reading the documents
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ---------------------------------------------------------------- connection

def pymilvus():
    try:
        import pymilvus as module
    except ImportError as exc:
        raise MissingDependencyError("pymilvus", "milvus") from exc
    return module


def is_lite(uri: str) -> bool:
    """A file path (no scheme) is a Milvus Lite database, opened in-process."""
    return "://" not in uri


def _uri(config: Config) -> str:
    uri = config.milvus_uri
    if not uri:
        raise ConfigError('milvus_uri must be set for index_backend = "milvus"')
    if not is_lite(uri):
        return uri
    if not uri.endswith(".db"):
        # pymilvus recognises Milvus Lite by this suffix only.
        raise ConfigError(f"milvus_uri {uri!r}: a Milvus Lite file must end in .db (or give http://host:19530)")
    try:
        import milvus_lite  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("milvus-lite", "milvus") from exc
    return os.path.abspath(uri)


_clients: dict[tuple[str, str], object] = {}
_users: Counter = Counter()  # open engines per connection: Lite is released only when none is left


def client(config: Config):
    """One client per (URI, token) per process. Nothing else is contacted:
    Lite runs in this process behind a loopback port."""
    key = (_uri(config), config.milvus_token)
    if key not in _clients:
        kwargs = {"token": config.milvus_token} if config.milvus_token else {}
        _clients[key] = pymilvus().MilvusClient(uri=key[0], **kwargs)
    return _clients[key]


def release(config: Config, force: bool = False) -> None:
    """Close a Milvus Lite database this process opened, unless an engine still
    reads it (or `force`): Lite holds an exclusive lock on its file, so a
    serving process can open it only once the builder has let go."""
    key = (_uri(config), config.milvus_token)
    if not is_lite(key[0]) or (_users[key] and not force):
        return
    existing = _clients.pop(key, None)
    if existing is not None:
        _loaded.difference_update({k for k in _loaded if k[0] == id(existing)})
        existing.close()
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(key[0])


def collection_name(path: Path, config: Config) -> str:
    """The alias: `milvus_collection`, or assistant_<index folder name>."""
    name = config.milvus_collection or "assistant_" + re.sub(r"[^A-Za-z0-9_]", "_", Path(path).name)
    if not _NAME_RE.match(name) or len(name) > 200:
        raise ConfigError(f"milvus_collection {name!r}: use letters, digits and _ (not first), at most 200")
    return name


def siblings(real: str) -> tuple[str, str]:
    return f"{real}_docs", f"{real}_terms"


def resolve(cli, alias: str) -> str | None:
    """The collection `alias` points at (None: no alias), loaded for reading.
    list_aliases first: describe_alias of a missing alias logs an error."""
    if alias not in cli.list_aliases().get("aliases", []):
        return None
    real = cli.describe_alias(alias)["collection_name"]
    _load(cli, (real, *siblings(real)))
    return real


_loaded: set[tuple[int, str]] = set()


def _load(cli, names) -> None:
    """Load collections once per client: Lite forgets the load state when the
    file is closed (a server remembers it)."""
    for name in names:
        if (id(cli), name) not in _loaded:
            cli.load_collection(name)
            _loaded.add((id(cli), name))


# ---------------------------------------------------------------- terms

def encode_term(token: str) -> str:
    """One tokenizer term as one analyzer token. Lite's "standard" analyzer
    splits on \\W (dropping the § bigram and ¤ character prefixes, merging those
    views with jieba's words: CMRC R@1 0.966 vs 0.978 local) and lower-cases; the
    encoding is injective and survives it and a server's "whitespace" one:
    plain word characters as they are, prefixes as a _b/_c suffix, anything
    else hex (encoded terms always contain "_"; the tokenizer's words never do
    in the first two forms)."""
    prefix, core = (token[0], token[1:]) if token[:1] in ("§", "¤") else ("", token)
    if core and re.fullmatch(r"[^\W_]+", core) and core == core.lower():
        return core + {"": "", "§": "_b", "¤": "_c"}[prefix]
    return "_x" + token.encode("utf-8").hex()


def decode_term(word: str) -> str:
    if word.startswith("_x"):
        return bytes.fromhex(word[2:]).decode("utf-8")
    if word.endswith("_b"):
        return "§" + word[:-2]
    if word.endswith("_c"):
        return "¤" + word[:-2]
    return word


def analyzer(uri: str) -> dict:
    """Lite implements only "standard" (\\w+, lower-cased) and "jieba"; a server
    has "whitespace". Over encoded terms both yield exactly our terms."""
    return {"tokenizer": "standard"} if is_lite(uri) else {"tokenizer": "whitespace"}


# ---------------------------------------------------------------- reading

def read_manifest(cli, docs_collection: str) -> dict:
    manifest, documents = None, {}
    quiet = logging.getLogger("pymilvus")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # Lite has no server timestamps: a warning per iterator
    try:
        it = cli.query_iterator(docs_collection, batch_size=READ_BATCH, filter="", output_fields=["key", "json"])
    finally:
        quiet.setLevel(level)
    try:
        while rows := it.next():
            for row in rows:
                if row["key"] == MANIFEST_KEY:
                    manifest = json.loads(row["json"])
                else:
                    documents[row["key"][len(DOC_PREFIX):]] = json.loads(row["json"])
    finally:
        it.close()
    if manifest is None:
        return None
    # Documents in chunk order, as in the local manifest.
    manifest["documents"] = dict(sorted(documents.items(), key=lambda kv: kv[1]["first_chunk"]))
    return manifest


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
        self.uri = _uri(config)
        self.cli = client(config)
        self.chunks = MilvusChunks(self.cli, real, manifest)
        self._dense = dense
        self._terms = siblings(real)[1]
        self._df: OrderedDict[str, int | None] = OrderedDict()
        key = (self.uri, config.milvus_token)
        _users[key] += 1
        weakref.finalize(self, _users.subtract, [key])

    @classmethod
    def open(cls, path: Path, config: Config, verify: bool | None = None,
             wants_dense: Callable[[dict], bool] = lambda manifest: False) -> "MilvusEngine":
        cli = client(config)
        alias = collection_name(path, config)
        where = f"Milvus {_uri(config)} collection {alias}"
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
        key = (_uri(config), alias)
        cached = _generations.get(key)
        if cached and time.monotonic() - cached[0] < GENERATION_TTL_S:
            return cached[1]
        cli = client(config)
        real = resolve(cli, alias)
        value = None
        if real:
            rows = cli.get(siblings(real)[0], ids=[MANIFEST_KEY], output_fields=["json"])
            value = (real, json.loads(rows[0]["json"]).get("publish_id")) if rows else None
        _generations[key] = (time.monotonic(), value)
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


_generations: dict[tuple[str, str], tuple[float, object]] = {}


def dense_search_params(n: int) -> dict:
    from .dense import DenseIndex

    params = {"metric_type": "IP"}
    if n > DenseIndex.EXACT_MAX:
        params["params"] = {"ef": DenseIndex.HNSW_EF_SEARCH}
    return params


def publish(data: store.IndexData, config: Config, rebuild: bool = False) -> str:
    """Make Milvus reflect the local index `data`; returns a one-line notice."""
    from .milvus_publish import publish as run

    return run(data, config, rebuild)
