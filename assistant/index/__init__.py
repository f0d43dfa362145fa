"""Index building, storage and search."""

from .builder import IndexReport, build_index, default_index_path
from .backends import ENGINES, engine_class
from .engine import Engine
from .searcher import Index, SearchHit

__all__ = ["ENGINES", "Engine", "Index", "IndexReport", "SearchHit", "build_index", "default_index_path",
           "engine_class"]
