"""What every loader takes and returns: `LoadOptions` in, `LoadedText` out.

A loader turns one file into text in the conventions the cleaner and chunker
read: Markdown `#` headings for sections, and tables as a caption line followed
by tab-separated rows (the first row is the header), one row per line. Text that
was read by OCR travels as its own `Part`, so its chunks can be marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Cost bounds for hostile or oversized files. A PDF of more pages is refused
# (statistical yearbooks run to ~1,000 pages; more is a bulk scan or an attack).
MAX_PAGES = 1000
# OCR costs 3-12 s a page on 2 cores (issue #14): 100 pages is 5-20 minutes, the
# most one document should take. Pages past the limit are left out and reported.
OCR_MAX_PAGES = 100
# An A4 page at 300 dpi is 8.7 MP and an A3 page 17 MP; 50 MP admits every real
# scan or photograph and refuses pixel bombs (10,000 x 10,000 = 100 MP) before
# they are decoded.
MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class LoadOptions:
    """How files become chunks: one value from the config to every loader (and
    to the build's worker processes, so it stays small and picklable)."""

    chunk_size: int = 400
    chunk_overlap: int = 0
    max_bytes: int | None = None
    ocr: bool = True
    ocr_cache: str | None = None  # folder of OCR results by page hash; None = no cache
    ocr_threads: int = 0  # onnxruntime threads per process (0 = its default)
    ocr_max_pages: int = OCR_MAX_PAGES
    max_pages: int = MAX_PAGES
    max_pixels: int = MAX_PIXELS

    @classmethod
    def from_config(cls, config, **overrides) -> "LoadOptions":
        values = dict(
            chunk_size=config.chunk_size,
            chunk_overlap=config.chunk_overlap,
            max_bytes=int(config.max_file_mb * 2**20),
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
