"""Index building, storage and search."""

from .builder import IndexReport, build_index, default_index_path
from .engine import ENGINES, Engine, engine_class
from .searcher import Index, SearchHit

__all__ = ["ENGINES", "Engine", "Index", "IndexReport", "SearchHit", "build_index", "default_index_path",
           "engine_class"]
