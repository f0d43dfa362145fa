"""Reading files and cleaning their text: one loader per format (the FORMATS
registry in loaders.py), all taking `LoadOptions` and returning `LoadedText`."""

from .base import LoadedText, LoadOptions, Part
from .clean import CleanResult, Dropped, clean_text
from .loaders import FORMATS, SUPPORTED_EXTENSIONS, Format, decode_bytes, load_file

__all__ = [
    "FORMATS", "SUPPORTED_EXTENSIONS", "CleanResult", "Dropped", "Format", "LoadOptions", "LoadedText",
    "Part", "clean_text", "decode_bytes", "load_file",
]
