"""A local, CPU-friendly question-answering assistant over your documents.

    from assistant import open_assistant
    assistant = open_assistant()            # builds index/seeds on first use
    answer = assistant.ask("2024年重庆网民规模是多少？")
    print(answer.text, [c.section_path for c in answer.citations])

    from assistant import Config, build_index, Index
    build_index(["seeds"])                 # incremental; writes index/seeds
    index = Index.load()                   # lexical, or hybrid if a model is local
    for hit in index.search("2024年重庆网民规模"):
        print(hit.rank, hit.chunk.section_path, hit.chunk.text)
"""

from .chunking import Chunk
from .config import Config
from .documents import Document, read_document
from .ingest.base import LoadOptions
from .ingest.loaders import FORMATS, SUPPORTED_EXTENSIONS
from .errors import (
    AssistantError,
    ConfigError,
    DocumentError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    MissingDependencyError,
    ModelError,
    QuestionError,
    UnsupportedFormatError,
)
from .embedders import Embedder, load_embedder
from .index import Engine, Index, IndexReport, SearchHit, build_index
from .answer import Answer, Citation, Preview
from .answer_types import expected_type
from .pipeline import Assistant
from .assembly import assemble, open_assistant
from .relevance import Relevance, RelevanceGate

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "Config",
    "ConfigError",
    "Document",
    "DocumentError",
    "Embedder",
    "Engine",
    "FORMATS",
    "Index",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReport",
    "LoadOptions",
    "MissingDependencyError",
    "Preview",
    "ModelError",
    "QuestionError",
    "Relevance",
    "RelevanceGate",
    "SUPPORTED_EXTENSIONS",
    "SearchHit",
    "UnsupportedFormatError",
    "build_index",
    "expected_type",
    "load_embedder",
    "open_assistant",
    "assemble",
    "read_document",
]
