"""What every loader takes and returns: `LoadOptions` in, `LoadedText` out.

A loader turns one file into text in the conventions the cleaner and chunker
read: Markdown `#` headings for sections, and tables as a caption line followed
by tab-separated rows (the first row is the header), one row per line. Text that
was read by OCR travels as its own `Part`, so its chunks can be marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config

# Chunk sizes and cost bounds default to the settings' own values: config.py
# declares them and says why, and nothing here can drift from it.
_DEFAULTS = Config()


@dataclass(frozen=True)
class LoadOptions:
    """How files become chunks: one value from the config to every loader (and
    to the build's worker processes, so it stays small and picklable)."""

    chunk_size: int = _DEFAULTS.chunk_size
    chunk_overlap: int = _DEFAULTS.chunk_overlap
    max_bytes: int | None = None
    ocr: bool = True
    ocr_cache: str | None = None  # folder of OCR results by page hash; None = no cache
    ocr_threads: int = 0  # onnxruntime threads per process (0 = its default)
    ocr_max_pages: int = _DEFAULTS.ocr_max_pages
    max_pages: int = _DEFAULTS.max_pages
    max_pixels: int = _DEFAULTS.max_pixels

    @classmethod
    def from_config(cls, config, **overrides) -> "LoadOptions":
        values = dict(
            chunk_size=config.chunk_size,
            chunk_overlap=config.chunk_overlap,
            max_bytes=config.max_file_bytes,
            ocr=config.ocr,
            ocr_cache=config.ocr_cache_dir or str(Path(config.index_root) / ".ocr-cache"),
            ocr_max_pages=config.ocr_max_pages,
            max_pages=config.max_pages,
            max_pixels=config.max_pixels,
        )
        values.update(overrides)
        return cls(**values)


@dataclass
class Part:
    """A stretch of a document's text and how it was read."""

    text: str
    ocr: bool = False
    # Digit runs OCR read that do not look like numbers (`2O24`, `78..2`): kept
    # exactly as read, and shown to the user as needing a check.
    suspect: list[str] = field(default_factory=list)


@dataclass
class LoadedText:
    parts: list[Part]
    format: str  # "text", "markdown", "html", "pdf", "docx", "image", ...
    encoding: str | None = None
    # Limits that cut the document short, said to the user ("OCR stopped at ...").
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, text: str, format: str, encoding: str | None = None) -> "LoadedText":
        return cls([Part(text)], format, encoding)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.parts)

    @property
    def ocr_pages(self) -> int:
        return sum(1 for p in self.parts if p.ocr)
