"""Section-aware chunking: consecutive body blocks of one section form a span;
spans longer than `chunk_size` are split at sentence ends with
langchain-text-splitters. A chunk never crosses a section, a sentence or a number;
table rows are chunks of their own."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .structure import SEP, Block, Structure, parse_structure

# Sentence ends in Chinese and English. No bare "." (it would cut 38.95) and no
# comma: a chunk boundary may fall only where a sentence ends.
SENTENCE_SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "!", "?", ";", ". "]
# Text with no sentence end for this many chunk sizes (a multi-megabyte line of
# noise, a giant table row) is cut anyway, so no chunk is megabytes long: such a
# chunk could not be cited or fitted into a prompt. Real sentences never get near.
HARD_LIMIT_FACTOR = 4
# Where a forced cut may fall, best first: after a clause mark or a space.
_CLAUSE_BREAK_RE = re.compile(r"[，,、：:;；）)」』\s]")


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    section: list[str]
    start: int  # offsets into the document's cleaned text: text == cleaned[start:end]
    end: int
    text: str
    kind: str = "text"  # "text" | "table_row"
    context: str = ""  # lines shown above the quote (table caption + header row)
    year: int | None = None
    date: str | None = None
    ocr: bool = False  # some of its text was read from a page image by OCR
    # Figures OCR read that do not look like numbers; kept as read (ingest/ocr.py).
    ocr_suspect: list[str] = field(default_factory=list)

    @property
    def section_path(self) -> str:
        return SEP.join([self.title, *self.section])

    @property
    def quote(self) -> str:
        """What a user is shown: the body, with the table header for table rows."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    def index_text(self) -> str:
        """Contextual chunk header + body: what BM25 and the embedder see."""
        return f"{self.section_path}\n{self.quote}"

    def to_dict(self) -> dict:
        # Shallow, with the lists copied: dataclasses.asdict's deep copy was a
        # fifth of an index build's time.
        return {**vars(self), "section": list(self.section), "ocr_suspect": list(self.ocr_suspect)}

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        return cls(**d)


@dataclass
class ChunkedDocument:
    structure: Structure
    chunks: list[Chunk] = field(default_factory=list)


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=SENTENCE_SEPARATORS,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_text(
    doc_id: str, text: str, chunk_size: int = 400, chunk_overlap: int = 0
) -> ChunkedDocument:
    structure = parse_structure(text)
    structure.title = structure.title or doc_id  # untitled text: name it by its file
    spans: list[tuple[int, int, Block]] = []
    for block in structure.blocks:
        prev = spans[-1] if spans else None
        if (
            prev
            and block.kind == "text"
            and prev[2].kind == "text"
            and prev[2].section == block.section
        ):
            spans[-1] = (prev[0], block.end, prev[2])
        else:
            spans.append((block.start, block.end, block))

    doc = ChunkedDocument(structure)
    for start, end, block in spans:
        if block.kind == "table_row" or end - start <= chunk_size:
            pieces = [(start, end)]
        else:
            pieces = _split(text, start, end, chunk_size, chunk_overlap)
        pieces = [
            cut
            for s, e in pieces
            for cut in (
                _hard_split(text, s, e, chunk_size)
                if e - s > HARD_LIMIT_FACTOR * chunk_size
                else [(s, e)]
            )
        ]
        for s, e in pieces:
            s, e = _strip(text, s, e)
            if e <= s:
                continue
            doc.chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}#{len(doc.chunks)}",
                    doc_id=doc_id,
                    title=structure.title,
                    section=list(block.section),
                    start=s,
                    end=e,
                    text=text[s:e],
                    kind=block.kind,
                    context=block.context,
                    year=structure.year,
                    date=structure.date,
                )
            )
    return doc


def _split(text: str, start: int, end: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Split text[start:end] at sentence ends and map the pieces back to offsets."""
    span = text[start:end]
    out: list[tuple[int, int]] = []
    cursor = 0
    for piece in _splitter(size, overlap).split_text(span):
        # With overlap a piece may begin before the previous one ended.
        search_from = max(0, cursor - len(piece)) if overlap else cursor
        pos = span.find(piece, search_from)
        if pos < 0:  # never expected: pieces are verbatim substrings
            raise AssertionError(f"chunk piece not found in source text: {piece[:40]!r}")
        out.append((start + pos, start + pos + len(piece)))
        cursor = pos + len(piece)
    return out


def _hard_split(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into pieces of about `size` characters: after the last
    clause mark or space in the second half of each window, else at the last
    point that does not split a number. A number is never cut: a run of digits
    longer than the window extends the piece to its end. Nothing is dropped."""
    out = []
    s = start
    while end - s > size:
        hi = s + size
        breaks = list(_CLAUSE_BREAK_RE.finditer(text, s + size // 2, hi))
        if breaks:
            cut = breaks[-1].end()
        else:
            cut = next((p for p in range(hi, s, -1) if not _splits_number(text, p)), None)
            if cut is None:  # the whole window is one number: run on to its end
                cut = hi
                while cut < end and _splits_number(text, cut):
                    cut += 1
        out.append((s, cut))
        s = cut
    if s < end:
        out.append((s, end))
    return out


def _splits_number(text: str, p: int) -> bool:
    """Would cutting before text[p] split a number (12|34, 3|.5, 3.|5, 1,|234)?"""
    if p <= 0 or p >= len(text):
        return False
    a, b = text[p - 1], text[p]
    if a.isdigit() and b.isdigit():
        return True
    if a.isdigit() and b in ".," and p + 1 < len(text) and text[p + 1].isdigit():
        return True
    return a in ".," and b.isdigit() and p >= 2 and text[p - 2].isdigit()


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
