"""Passages a question names by the documents' structure, which retrieval
does not rank: the title page of the document it names, the parts of the
section it names by heading, the credit lines of the article it is about, the
source line under the table it names. They come before the retrieved passages
(each marked with why it was added: SearchHit.added), and the extractive
answerer reads its structural answers from them."""

from __future__ import annotations

from .answer_types import asks_for_aspects
from .answerers.attribution import in_scope
from .answerers.bylines import asks_for_credit, credits
from .answerers.outline import outline_chunks
from .answerers.sources import asks_for_source, source_of
from .index import Index, SearchHit

# Who issued a report, when, who gave it: its title page says so.
TITLE_PAGE_TYPES = ("organization", "date", "person")
# Documents searched for credit lines: those of the best passages (a question
# names its article by its topic; the seed "who took the photo" questions' article ranks first or second).
CREDIT_DOCUMENTS = 3
# Sections (or tables) a question names, tried best first for one in scope with parts to list.
SECTIONS_TRIED = 5


def named_passages(index: Index, info, hits: list) -> list[SearchHit]:
    """The passages `info`'s question names by structure, given the retrieved `hits`."""
    first = (index.title_pages(info.text) if info.expects in TITLE_PAGE_TYPES
             else _named_section(index, info) if info.expects == "list" else [])
    if asks_for_credit(info):
        first = _credit_lines(index, first + hits) + first
    elif info.expects in TITLE_PAGE_TYPES and asks_for_source(info.text):
        first = _table_source(index, info) + first
    seen: set[str] = set()
    return [h for h in first if not (h.chunk.chunk_id in seen or seen.add(h.chunk.chunk_id))]


def _credit_lines(index, hits: list) -> list[SearchHit]:
    """The chunks holding credit lines ("记者 朱颂扬 摄") of the documents the
    best passages come from, best document first (answerers/bylines.py)."""
    docs = list(dict.fromkeys(h.chunk.doc_id for h in hits))[:CREDIT_DOCUMENTS]
    out = []
    for doc_id in docs:
        meta = index.documents.get(doc_id) or {}
        first = meta.get("first_chunk")
        if first is None:
            continue
        for i in range(first, first + meta.get("n_chunks", 0)):
            if credits(index.chunks[i].quote):
                out.append(SearchHit(0, 0.0, index.chunks[i], added="credits"))
    return out


def _table_source(index, info) -> list[SearchHit]:
    """The source line right under the table the question names by its
    caption ("表1…来源是哪个部门"), as the passage to answer from."""
    chunks = index.chunks
    for table in index.sections.tables_named(info.text, ignore=info.places)[:SECTIONS_TRIED]:
        after = table.rows[-1] + 1
        if after < len(chunks) and chunks[after].doc_id == table.doc_id and source_of(chunks[after].quote):
            return [SearchHit(0, 0.0, chunks[after], added="source")]
    return []


def _named_section(index, info) -> list[SearchHit]:
    """The parts of the section an aspect-list question names by its heading
    ("筑牢行业安全底线方面…取得了哪些进展"), when it is about the places and
    year asked and has parts to list (answerers/outline.py); else []."""
    if info.english or not asks_for_aspects(info.text):
        return []
    chunks = index.chunks
    for section in index.sections.named(info.text, ignore=info.places)[:SECTIONS_TRIED]:
        if not all(in_scope(info, chunks[i]) for i in section.chunks):
            continue
        parts = outline_chunks(section, chunks)
        if parts:
            return [SearchHit(0, 0.0, chunks[i], added="section") for i in parts]
    return []
