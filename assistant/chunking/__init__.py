"""Section-aware chunking of cleaned text."""

from .chunker import Chunk, ChunkedDocument, chunk_text
from .structure import SEP, Structure, parse_structure

__all__ = ["SEP", "Chunk", "ChunkedDocument", "Structure", "chunk_text", "parse_structure"]
