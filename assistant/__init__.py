"""A local, CPU-friendly question-answering assistant over your documents.

    from assistant import Config, build_index, Index
    build_index(["seeds"])                 # incremental; writes index/seeds
    index = Index.load()                   # lexical, or hybrid if a model is local
    for hit in index.search("2024年重庆网民规模"):
        print(hit.rank, hit.chunk.section_path, hit.chunk.text)
"""

from .chunking import Chunk
from .config import Config
from .documents import Document, read_document
from .errors import (
    AssistantError,
    ConfigError,
    DocumentError,
    IndexMismatchError,
    IndexNotFoundError,
    MissingDependencyError,
    ModelError,
    UnsupportedFormatError,
)
from .index import Index, IndexReport, SearchHit, build_index

__version__ = "0.1.0"

__all__ = [
    "AssistantError",
    "Chunk",
    "Config",
    "ConfigError",
    "Document",
    "DocumentError",
    "Index",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReport",
    "MissingDependencyError",
    "ModelError",
    "SearchHit",
    "UnsupportedFormatError",
    "build_index",
    "read_document",
]
