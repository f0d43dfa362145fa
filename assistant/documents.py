"""From a file on disk to a cleaned, chunked `Document`."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .chunking.chunker import Chunk, chunk_text
from .errors import DocumentError
from .hashing import file_sha256
from .ingest.base import LoadedText, LoadOptions
from .ingest.clean import Dropped, clean_text
from .ingest.loaders import SUPPORTED_EXTENSIONS, load_file


@dataclass
class Document:
    doc_id: str  # file stem
    path: str
    format: str
    sha256: str
    size: int
    title: str
    date: str | None
    year: int | None
    text: str  # cleaned text; chunk offsets point into it
    chunks: list[Chunk] = field(default_factory=list, repr=False)
    dropped: list[Dropped] = field(default_factory=list, repr=False)
    ocr_pages: int = 0  # pages (or images) whose text was read by OCR
    warnings: list[str] = field(default_factory=list)  # limits that cut the document short

    def meta(self) -> dict:
        d = asdict(self)
        for key in ("text", "chunks", "dropped"):
            d.pop(key)
        d["n_chunks"] = len(self.chunks)
        return d


def read_document(
    path: str | Path,
    options: LoadOptions | None = None,
    sha256: str | None = None,
) -> Document:
    """Load, clean and chunk one file. Raises `DocumentError` with the reason."""
    path = Path(path)
    options = options or LoadOptions()
    loaded = load_file(path, options)
    text, dropped, ocr_spans = _clean(loaded)
    if not text.strip():
        raise DocumentError(path, "no text left after cleaning (only boilerplate?)")
    doc_id = path.stem
    chunked = chunk_text(doc_id, text, options.chunk_size, options.chunk_overlap)
    if not chunked.chunks:
        raise DocumentError(path, "no indexable text found")
    _mark_ocr(chunked.chunks, ocr_spans)
    s = chunked.structure
    return Document(
        doc_id=doc_id,
        path=str(path),
        format=loaded.format,
        sha256=sha256 or file_sha256(path),
        size=path.stat().st_size,
        title=s.title,
        date=s.date,
        year=s.year,
        text=text,
        chunks=chunked.chunks,
        dropped=dropped,
        ocr_pages=loaded.ocr_pages,
        warnings=loaded.warnings,
    )


def _clean(loaded: LoadedText) -> tuple[str, list[Dropped], list[tuple[int, int, list[str]]]]:
    """Clean each run of parts read the same way (text layer or OCR) on its own,
    so the cleaned text's OCR stretches are known exactly. A document read one
    way throughout is one run: cleaned whole, as before OCR existed. Returns the
    text, what cleaning dropped, and (start, end, suspect figures) per OCR run."""
    runs: list[tuple[bool, list]] = []
    for part in loaded.parts:
        if runs and runs[-1][0] == part.ocr:
            runs[-1][1].append(part)
        else:
            runs.append((part.ocr, [part]))
    pieces, dropped, spans, offset = [], [], [], 0
    for ocr, parts in runs:
        cleaned = clean_text("\n\n".join(p.text for p in parts))
        if not cleaned.text.strip():
            continue
        if pieces:
            offset += 2  # the "\n\n" joining it to the run before
        if ocr:
            suspect = [s for p in parts for s in p.suspect if s in cleaned.text]
            spans.append((offset, offset + len(cleaned.text), suspect))
        pieces.append(cleaned.text)
        dropped.extend(cleaned.dropped)
        offset += len(cleaned.text)
    return "\n\n".join(pieces), dropped, spans


def _mark_ocr(chunks: list[Chunk], spans: list[tuple[int, int, list[str]]]) -> None:
    """A chunk with any text from an OCR run is marked, with the suspect figures it quotes."""
    for chunk in chunks:
        for start, end, suspect in spans:
            if chunk.start < end and start < chunk.end:
                chunk.ocr = True
                chunk.ocr_suspect.extend(s for s in suspect if s in chunk.quote and s not in chunk.ocr_suspect)


def discover(paths: list[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files under `paths` (recursively, sorted, hidden files skipped). Returns the
    candidate files and (path, reason) for paths that cannot be used at all."""
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
        else:
            problems.append((str(p), "no such file or directory"))
    return files, problems


__all__ = ["Document", "LoadOptions", "SUPPORTED_EXTENSIONS", "discover", "read_document"]
