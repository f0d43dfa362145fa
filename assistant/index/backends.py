"""The one string-keyed factory of index engines (setting `index_backend`;
the valid names are declared in config.INDEX_BACKENDS):

    local   the index directory on this machine (store.py): BM25 postings + FAISS
    milvus  a Milvus collection (Milvus Lite file or server, setting `milvus_uri`),
            published from the local build (milvus.py; extra `milvus`)

Each engine module is imported only when its engine is asked for."""

from __future__ import annotations

from .engine import Engine
from ..registry import Registry

ENGINES: Registry[type[Engine]] = Registry("index_backend", {
    "local": ("assistant.index.local", "LocalEngine", None),
    "milvus": ("assistant.index.milvus", "MilvusEngine", "milvus"),
})


def engine_class(name: str) -> type[Engine]:
    return ENGINES.load(name)


__all__ = ["ENGINES", "engine_class"]
