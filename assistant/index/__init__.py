"""Index building, storage and search."""

from .builder import IndexReport, build_index, default_index_path
from .searcher import Index, SearchHit

__all__ = ["Index", "IndexReport", "SearchHit", "build_index", "default_index_path"]
