"""Section-aware chunking: consecutive body blocks of one section form a span;
spans longer than `chunk_size` are split at sentence ends with
langchain-text-splitters. A chunk never crosses a section, a sentence or a number;
table rows are chunks of their own."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

from .structure import SEP, Block, Structure, parse_structure

# Sentence ends in Chinese and English. No bare "." (it would cut 38.95) and no
# comma: a chunk boundary may fall only where a sentence ends.
SENTENCE_SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "!", "?", ";", ". "]


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
        return asdict(self)

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


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
