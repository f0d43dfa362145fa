"""What an answer is: text, numbered citations, and the checks applied to it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .chunking.chunker import Chunk


@dataclass
class Citation:
    number: int  # the n of [n] in the answer text
    doc_id: str
    title: str
    section_path: str
    year: int | None
    date: str | None
    quote: str  # the passage as shown to users, original script
    span: tuple[int, int] | None  # supporting text inside `quote` (start, end)
    chunk_id: str
    ocr: bool = False  # the passage was read from a page image: check it against the original
    ocr_suspect: list[str] = field(default_factory=list)  # figures OCR may have misread

    @classmethod
    def from_chunk(cls, number: int, chunk: Chunk, span: tuple[int, int] | None = None) -> "Citation":
        return cls(
            number, chunk.doc_id, chunk.title, chunk.section_path, chunk.year, chunk.date,
            chunk.quote, span, chunk.chunk_id, chunk.ocr, list(chunk.ocr_suspect),
        )

    @property
    def ocr_mark(self) -> str:
        """What the UI and CLI show beside an OCR'd source ("" for text)."""
        if not self.ocr:
            return ""
        check = f"; check {', '.join(self.ocr_suspect)}" if self.ocr_suspect else ""
        return f"OCR 识别{check}"

    @property
    def supporting_text(self) -> str:
        return self.quote[self.span[0] : self.span[1]] if self.span else ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["span"] = list(self.span) if self.span else None
        return d


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    unverified_numbers: list[str] = field(default_factory=list)
    uncited_sentences: list[str] = field(default_factory=list)
    mode: dict = field(default_factory=dict)  # {"retriever": ..., "answerer": ...}
    timings: dict = field(default_factory=dict)  # milliseconds
    resolved_question: str | None = None  # the follow-up as rewritten from history
    # Why a model's answer was replaced by the extractive one (None: not replaced).
    fallback_reason: str | None = None
    # A model's answer that failed the checks (fallback_reason): kept for
    # debugging, never displayed as the answer.
    rejected_text: str | None = None
    # Sources that disagree on the figure asked for, all shown in the text:
    # [{"scope": "2024年" | None, "same_year": bool, "figures": [{"value": "2495万人",
    # "citations": [2], "doc_ids": [...]}, ...]}] (answerers/conflicts.py).
    conflicts: list[dict] = field(default_factory=list)
    # Numbers of an answer about one year that the cited passages state only
    # for another year (relevance/years.py); flagged like unverified numbers.
    off_year_numbers: list[str] = field(default_factory=list)
    # Items of a model's answer that no passage supports: left out of `text`
    # (which says how many), kept here for debugging, never displayed.
    dropped_items: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["citations"] = [c.to_dict() for c in self.citations]
        return d


@dataclass
class Preview:
    """The extractive answer to show while a model writes (Assistant.stream):
    already checked, replaced by the final Answer when it comes."""

    answer: Answer

    def to_dict(self) -> dict:
        return self.answer.to_dict()
