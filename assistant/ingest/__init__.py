"""Reading files and cleaning their text."""

from .clean import CleanResult, Dropped, clean_text
from .loaders import SUPPORTED_EXTENSIONS, LoadedText, decode_bytes, load_file

__all__ = [
    "SUPPORTED_EXTENSIONS", "CleanResult", "Dropped", "LoadedText",
    "clean_text", "decode_bytes", "load_file",
]
