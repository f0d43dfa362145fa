"""From a file on disk to a cleaned, chunked `Document`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .chunking.chunker import Chunk, chunk_text
from .errors import DocumentError
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

    def meta(self) -> dict:
        d = asdict(self)
        for key in ("text", "chunks", "dropped"):
            d.pop(key)
        d["n_chunks"] = len(self.chunks)
        return d


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_document(
    path: str | Path,
    chunk_size: int = 400,
    chunk_overlap: int = 0,
    max_bytes: int | None = None,
    sha256: str | None = None,
) -> Document:
    """Load, clean and chunk one file. Raises `DocumentError` with the reason."""
    path = Path(path)
    loaded = load_file(path, max_bytes=max_bytes)
    cleaned = clean_text(loaded.text)
    if not cleaned.text.strip():
        raise DocumentError(path, "no text left after cleaning (only boilerplate?)")
    doc_id = path.stem
    chunked = chunk_text(doc_id, cleaned.text, chunk_size, chunk_overlap)
    if not chunked.chunks:
        raise DocumentError(path, "no indexable text found")
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
        text=cleaned.text,
        chunks=chunked.chunks,
        dropped=cleaned.dropped,
    )


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


__all__ = ["Document", "SUPPORTED_EXTENSIONS", "discover", "file_sha256", "read_document"]
