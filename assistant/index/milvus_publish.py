"""Publish the local index to Milvus (collections described in milvus.py).

Full rebuild (no alias yet, `rebuild`, or the settings, format or embedding
differ): a new generation of collections is written, flushed and loaded, then
the alias is switched to it; the previous generation is kept for requests in
flight and dropped when the next publish starts, as are the leftovers of a
build killed before its switch (which leaves the previous generation
serving). Otherwise incremental, in place: rows of changed or removed
documents are deleted and their new versions inserted, numbered after every
number used so far; the manifest row is written last."""

from __future__ import annotations

import json
import re
import time
from typing import Callable

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config
from ..errors import AssistantError
from . import milvus_client, store

# Bump when the rows or the analysis change: a different format means a full rebuild.
MILVUS_FORMAT = 1
INSERT_BATCH = 500  # chunk rows per insert (~10-20 KB each, well under gRPC's 64 MB message)
TERM_BATCH = 5000  # term rows per insert or get
MAX_VARCHAR = 65535  # Milvus's VARCHAR limit (bytes)
PAD = [0.0, 0.0]  # collections without a real vector still need one (Milvus requires a vector field)


def publish(data: store.IndexData, config: Config, rebuild: bool = False, *, in_place: bool | None = None,
            before_switch: Callable[[str], None] | None = None) -> str:
    """Publish `data` under its alias; returns a one-line notice.

    `in_place`: whether changed documents are written into the serving
    generation (True) or every change publishes a new one (False). None: in
    place on a server, a new generation on Milvus Lite. Lite keeps BM25
    statistics (N, df, average length) per segment, and rows an incremental
    publish inserts land in a new segment: scored against its own few rows, a
    new document about "山城" lost to a seed that never names it
    (tests/test_milvus.py). A new generation is one segment with exact
    statistics; a server keeps global statistics.

    `before_switch(collection)` is called when a new generation is fully
    written, before the alias points at it: what a process killed there
    leaves behind is the previous generation, still serving (tests/test_milvus.py)."""
    cli = milvus_client.client(config)
    alias = milvus_client.collection_name(data.path, config)
    real = milvus_client.resolve(cli, alias)
    manifest = milvus_client.read_manifest(cli, milvus_client.siblings(real)[0]) if real else None
    if in_place is None:
        in_place = not milvus_client.is_lite(config.milvus_uri)
    try:
        _drop_leftovers(cli, alias, real)
        if rebuild or _needs_full(manifest, data, config, in_place):
            return _full(cli, data, config, alias, real, before_switch)
        return _incremental(cli, data, config, alias, real, manifest)
    finally:
        milvus_client.forget_generation(config, alias)
        milvus_client.release(config)  # Lite: lets a serving process open the file


def _needs_full(manifest: dict | None, data: store.IndexData, config: Config, in_place: bool) -> bool:
    if manifest is None or manifest.get("milvus_format") != MILVUS_FORMAT:
        return True
    if not in_place and _changed(manifest, data):
        return True
    if manifest.get("analyzer") != milvus_client.analyzer(milvus_client.uri(config)):
        return True
    if manifest.get("format_version") != data.manifest.get("format_version"):
        return True
    if manifest.get("settings") != data.manifest.get("settings"):
        return True
    ours, theirs = manifest.get("embedding"), data.manifest.get("embedding")
    if (ours is None) != (theirs is None):
        return True
    if ours is not None:
        strip = lambda e: {k: v for k, v in e.items() if k != "embedded_chunks"}  # noqa: E731
        # Rows published without a vector may have one locally by now.
        if strip(ours) != strip(theirs) or ours.get("embedded_chunks", 0) < manifest.get("n_chunks", 0):
            return True
    return False


# ---------------------------------------------------------------- collections

def _create(cli, real: str, config: Config, dim: int | None, n: int) -> None:
    pm = milvus_client.pymilvus()
    DataType, Function, FunctionType = pm.DataType, pm.Function, pm.FunctionType
    schema = cli.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
    schema.add_field("chunk", DataType.VARCHAR, max_length=MAX_VARCHAR)
    schema.add_field("terms", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True,
                     analyzer_params=milvus_client.analyzer(milvus_client.uri(config)))
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["terms"], output_field_names=["sparse"]))
    index = cli.prepare_index_params()
    bm25 = {"bm25_k1": config.bm25_k1, "bm25_b": config.bm25_b}
    # pymilvus sends each parameter as its own key (what a server reads); Lite
    # reads only a JSON "params" key and would otherwise keep k1=1.5, b=0.75.
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={**bm25, "params": bm25})
    if dim:
        from .dense import DenseIndex

        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("embedded", DataType.BOOL)
        # As the local engine: exact up to EXACT_MAX vectors, HNSW above (dense.py);
        # both index types exist in Lite and in a server.
        if n <= DenseIndex.EXACT_MAX:
            index.add_index("vector", index_type="FLAT", metric_type="IP")
        else:
            index.add_index("vector", index_type="HNSW", metric_type="IP",
                            params={"M": DenseIndex.HNSW_M, "efConstruction": DenseIndex.HNSW_EF_CONSTRUCTION})
    cli.create_collection(real, schema=schema, index_params=index)
    cli.load_collection(real)
    docs, terms = milvus_client.siblings(real)
    _create_kv(cli, docs, "key", [("json", DataType.VARCHAR, {"max_length": MAX_VARCHAR})])
    _create_kv(cli, terms, "term", [("df", DataType.INT64, {})])


def _create_kv(cli, name: str, key: str, fields: list) -> None:
    pm = milvus_client.pymilvus()
    schema = cli.create_schema(auto_id=False)
    schema.add_field(key, pm.DataType.VARCHAR, is_primary=True, max_length=1024)
    for field, kind, kwargs in fields:
        schema.add_field(field, kind, **kwargs)
    schema.add_field("pad", pm.DataType.FLOAT_VECTOR, dim=len(PAD))
    index = cli.prepare_index_params()
    index.add_index("pad", index_type="FLAT", metric_type="L2")
    cli.create_collection(name, schema=schema, index_params=index)
    cli.load_collection(name)


def _drop_generation(cli, real: str) -> None:
    for name in (real, *milvus_client.siblings(real)):
        if cli.has_collection(name):
            cli.drop_collection(name)


def _drop_leftovers(cli, alias: str, keep: str | None) -> None:
    """Generations of this alias that no alias points at: a publish killed
    before its switch."""
    pattern = re.compile(rf"^{re.escape(alias)}_g\d+$")
    for name in cli.list_collections():
        if pattern.match(name) and name != keep:
            _drop_generation(cli, name)
    for name in cli.list_collections():  # siblings whose chunk collection is gone
        base = re.sub(r"_(docs|terms)$", "", name)
        if base != name and pattern.match(base) and base != keep and not cli.has_collection(base):
            cli.drop_collection(name)


# ---------------------------------------------------------------- rows

class _Local:
    """The local index's rows, as Milvus rows: chunk JSON as stored, the
    tokenizer's terms (all of them, repeats included: Milvus's document length
    is then the local one), vectors when it has them; document frequencies
    from the local engine."""

    def __init__(self, data: store.IndexData, config: Config):
        from ..tokenize import get_tokenizer
        from .lexical import LexicalIndex

        self.data = data
        self.tokenize = get_tokenizer(config.tokenizer)
        self.lexical = LexicalIndex.load(data.path / "postings")  # `data` is open and checked already
        self.vectors = data.vectors()

    def df(self, term: str) -> int:
        return self.lexical.doc_freq(term) or 0

    def row(self, i: int, number: int, doc_id: str) -> tuple[dict, list[str]]:
        chunk = self.data.chunks.raw(i, i + 1).decode("utf-8").rstrip("\n")
        tokens = self.tokenize(Chunk.from_dict(json.loads(chunk)).index_text())
        words = " ".join(milvus_client.encode_term(t) for t in tokens)
        for name, value in (("chunk", chunk), ("terms", words)):
            if len(value.encode("utf-8")) > MAX_VARCHAR:
                raise AssistantError(f"chunk {i} of {doc_id}: its {name} exceed Milvus's {MAX_VARCHAR} bytes; "
                                     "lower chunk_size")
        row = {"id": number, "doc_id": doc_id, "chunk": chunk, "terms": words}
        if self.vectors is not None:
            vector = np.asarray(self.vectors[i], dtype=np.float32)
            row["vector"], row["embedded"] = vector.tolist(), bool(vector.any())
        return row, tokens


def _insert_documents(cli, real: str, local: _Local, plan: list[tuple[str, int]]) -> set[str]:
    """Insert the chunks of each (doc_id, first Milvus number); returns the terms they contain."""
    touched: set[str] = set()
    batch: list[dict] = []
    for doc_id, first in plan:
        lo, hi = local.data.chunk_range(doc_id)
        for i in range(lo, hi):
            row, tokens = local.row(i, first + i - lo, doc_id)
            batch.append(row)
            touched.update(tokens)
            if len(batch) >= INSERT_BATCH:
                cli.insert(real, batch)
                batch = []
    if batch:
        cli.insert(real, batch)
    return touched


def _head(data: store.IndexData, documents: dict, next_chunk: int, uri: str) -> dict:
    """The Milvus manifest: the local one's settings, identity and skipped
    files, with Milvus chunk numbering."""
    m = {k: v for k, v in data.manifest.items() if k not in ("files", "documents")}
    m.update(milvus_format=MILVUS_FORMAT, analyzer=milvus_client.analyzer(uri), local_index=str(data.path),
             n_chunks=sum(d["n_chunks"] for d in documents.values()), next_chunk=next_chunk,
             publish_id=time.time_ns(), published_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
    return m


def _kv_rows(documents: dict, ids) -> list[dict]:
    return [{"key": milvus_client.DOC_PREFIX + d, "json": json.dumps(documents[d], ensure_ascii=False), "pad": PAD}
            for d in ids]


def _write_manifest(cli, docs: str, head: dict) -> None:
    text = json.dumps(head, ensure_ascii=False)
    if len(text.encode("utf-8")) > MAX_VARCHAR:
        raise AssistantError(f"the index manifest ({len(text)} characters, mostly skipped files) exceeds "
                             f"Milvus's {MAX_VARCHAR} bytes")
    cli.upsert(docs, [{"key": milvus_client.MANIFEST_KEY, "json": text, "pad": PAD}])
    cli.flush(docs)


def _term_rows(local: _Local, terms) -> list[dict]:
    # (A term longer than the key limit is left out: it reads as unknown.)
    return [{"term": t, "df": df, "pad": PAD} for t in terms
            if (df := local.df(t)) > 0 and len(t.encode("utf-8")) <= 1024]


def _write_terms(cli, name: str, rows: list[dict]) -> None:
    for lo in range(0, len(rows), TERM_BATCH):
        cli.upsert(name, rows[lo : lo + TERM_BATCH])


# ---------------------------------------------------------------- full and incremental

def _full(cli, data: store.IndexData, config: Config, alias: str, previous: str | None,
          before_switch: Callable[[str], None] | None) -> str:
    uri = milvus_client.uri(config)
    real = f"{alias}_g{time.time_ns() // 1_000_000}"
    local = _Local(data, config)
    n = data.manifest.get("n_chunks", 0)
    dim = local.vectors.shape[1] if local.vectors is not None and len(local.vectors) else None
    _create(cli, real, config, dim, n)
    docs, terms = milvus_client.siblings(real)
    # Everything inserted, then one flush: Lite keeps BM25 statistics per
    # segment, so one segment gives the local index's idf exactly.
    vocabulary = _insert_documents(cli, real, local, [(d, m["first_chunk"]) for d, m in data.documents.items()])
    _write_terms(cli, terms, _term_rows(local, sorted(vocabulary)))
    documents = {d: dict(m) for d, m in data.documents.items()}
    for lo in range(0, len(documents), TERM_BATCH):
        cli.insert(docs, _kv_rows(documents, list(documents)[lo : lo + TERM_BATCH]))
    for name in (real, terms):
        cli.flush(name)
    _write_manifest(cli, docs, _head(data, documents, n, uri))
    if before_switch is not None:
        before_switch(real)
    if previous is None:
        cli.create_alias(real, alias)
    else:
        cli.alter_alias(real, alias)
    # The previous generation stays until the next publish starts (_drop_leftovers):
    # a serving process notices the switch within GENERATION_TTL_S, and a request
    # already searching the previous collections must not find them gone.
    return f"published to Milvus {uri} collection {alias}: {n} chunks (new generation {real})"


_HEAD_KEYS = ("skipped", "sources", "libraries")


def _differences(manifest: dict, data: store.IndexData) -> tuple[list[str], list[str]]:
    """Documents whose published rows go (changed or removed), and local ones to insert (changed or added)."""
    mdocs, ldocs = manifest["documents"], data.documents

    def same(d: str) -> bool:
        m, loc = mdocs.get(d), ldocs.get(d)
        return bool(m and loc and all(m.get(k) == loc.get(k) for k in ("sha256", "path", "n_chunks")))

    return [d for d in mdocs if not same(d)], [d for d in ldocs if not same(d)]


def _changed(manifest: dict, data: store.IndexData) -> bool:
    stale, fresh = _differences(manifest, data)
    return bool(stale or fresh)


def _incremental(cli, data: store.IndexData, config: Config, alias: str, real: str, manifest: dict) -> str:
    uri = milvus_client.uri(config)
    mdocs, ldocs = manifest["documents"], data.documents
    stale, fresh = _differences(manifest, data)
    if not stale and not fresh and all(manifest.get(k) == data.manifest.get(k) for k in _HEAD_KEYS):
        return f"Milvus {uri} collection {alias} is up to date ({manifest['n_chunks']} chunks)"
    docs, terms = milvus_client.siblings(real)
    next_chunk = int(manifest["next_chunk"])
    cli.delete(real, filter=f"id >= {next_chunk}")  # rows of a publish killed before its manifest
    old_ids = [i for d in stale for i in range(mdocs[d]["first_chunk"], mdocs[d]["first_chunk"] + mdocs[d]["n_chunks"])]
    local = _Local(data, config)
    touched = _stored_terms(cli, real, old_ids)
    plan = []
    for d in fresh:
        plan.append((d, next_chunk))
        next_chunk += ldocs[d]["n_chunks"]
    touched |= _insert_documents(cli, real, local, plan)
    placed = dict(plan)
    documents = {d: ({**ldocs[d], "first_chunk": placed[d]} if d in placed else mdocs[d]) for d in ldocs}
    # Absolute frequencies from the local index: repeating this after a crash is harmless.
    _write_terms(cli, terms, _term_rows(local, sorted(touched)))
    dead = sorted(t for t in touched if local.df(t) == 0)  # no chunk has them any more
    if dead:
        cli.delete(terms, ids=dead)
    if old_ids:
        cli.delete(real, ids=old_ids)
    if fresh:
        cli.upsert(docs, _kv_rows(documents, fresh))
    removed = [milvus_client.DOC_PREFIX + d for d in stale if d not in ldocs]
    if removed:
        cli.delete(docs, ids=removed)
    for name in (real, terms):
        cli.flush(name)
    _write_manifest(cli, docs, _head(data, documents, next_chunk, uri))
    added = sum(ldocs[d]["n_chunks"] for d in fresh)
    return (f"published to Milvus {uri} collection {alias}: {sum(m['n_chunks'] for m in documents.values())} "
            f"chunks (+{added} -{len(old_ids)})")


def _stored_terms(cli, real: str, ids: list[int]) -> set[str]:
    """The terms of the published rows `ids` (their frequencies change when they go)."""
    found: set[str] = set()
    for lo in range(0, len(ids), INSERT_BATCH):
        for row in cli.get(real, ids=ids[lo : lo + INSERT_BATCH], output_fields=["terms"]):
            found.update(milvus_client.decode_term(w) for w in row["terms"].split())
    return found

