"""Load an index and search it: BM25, dense, or both fused by reciprocal rank,
with a gentle per-document penalty so several documents can surface."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..chunking.chunker import Chunk
from ..config import Config
from ..embedders import NONE, Embedder, available, identity_differences, load_embedder
from ..errors import IndexMismatchError
from ..question import is_english
from ..textnorm import CJK, normalize
from ..tokenize import get_tokenizer
from . import fusion
from .builder import default_index_path
from .sections import Sections
from .backends import engine_class
from .engine import Engine


# Score factor for an English question's candidates that never name its place (0.5
# and 0.2 rank the same on the English seed questions; 0.8 half-way).
PLACE_MISS_FACTOR = 0.5


@dataclass
class SearchHit:
    rank: int
    score: float
    chunk: Chunk
    bm25: float | None = None
    dense: float | None = None
    # Why a passage retrieval did not rank was added: "title page" (the question
    # names its document), "section" (a part of the section it names),
    # "credits" (a byline), "source" (the source line of the table it names).
    added: str = ""

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "doc_id": c.doc_id,
            "chunk_id": c.chunk_id,
            "title": c.title,
            "section": c.section,
            "section_path": c.section_path,
            "year": c.year,
            "date": c.date,
            "kind": c.kind,
            "start": c.start,
            "end": c.end,
            "text": c.text,
            "quote": c.quote,
            "bm25": None if self.bm25 is None else round(float(self.bm25), 6),
            "dense": None if self.dense is None else round(float(self.dense), 6),
        }


@dataclass
class Index:
    engine: Engine
    config: Config
    embedder: Embedder | None = None
    notices: list[str] = field(default_factory=list)
    # The index folder it was opened as: the local engine's files; for Milvus,
    # the builder's local copy, whose name the collection alias follows.
    folder: Path | None = None
    # question -> Translation: one question is searched (per year) and answered
    # with the same translation, computed once.
    _translations: dict = field(default_factory=dict, repr=False)
    _sections: Sections | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        config: Config | None = None,
        embedder: Embedder | None | str = "auto",
        verify: bool | None = None,
    ) -> "Index":
        """Open the index at `path` (default: the one for `config.corpus_dir`).

        `embedder="auto"` uses the configured embedder (assistant.embedders)
        when the index has vectors from it; pass None for lexical only. Files
        are checked against the manifest's sizes, and checksums when the index
        is small or `verify=True` (IndexCorruptError names the bad file)."""
        config = config or Config.load()
        path = Path(path) if path else default_index_path([config.corpus_dir], config)
        chosen: dict = {}

        def wants_dense(manifest: dict) -> bool:
            chosen["embedder"], chosen["notices"] = _embedder_for(manifest, path, config, embedder)
            return chosen["embedder"] is not None

        engine = engine_class(config.index_backend).open(path, config, verify, wants_dense)
        return cls(engine, config, chosen["embedder"], chosen["notices"], path)

    @property
    def path(self) -> Path:
        return self.folder if self.folder is not None else Path(self.engine.location)

    @property
    def mode(self) -> str:
        return "hybrid" if self.engine.has_dense else "lexical"

    @property
    def chunks(self):
        return self.engine.chunks

    @property
    def sections(self) -> Sections:
        """The sections of the chunks, for questions naming one by its heading."""
        if self._sections is None or self._sections.chunks is not self.chunks:
            self._sections = Sections(self.chunks)
        return self._sections

    @property
    def documents(self) -> dict[str, dict]:
        return self.engine.documents

    @property
    def manifest(self) -> dict:
        return self.engine.manifest

    def query_tokens(self, query: str) -> list[str]:
        """BM25 query terms; an English question over Chinese text also gets
        its dictionary translation (assistant/crosslingual.py)."""
        tokenize = get_tokenizer(self.config.tokenizer)
        tokens = tokenize(query, query=True)
        if is_english(query):
            translation = self.translate(query)
            if translation is not None:
                tokens += tokenize(translation.query(), query=True)
        return tokens

    def translate(self, question: str):
        """Chinese words of this corpus for an English question (None without
        the dictionary)."""
        from ..crosslingual import glossary
        from ..question import GAZETTEER

        words = glossary(self.config.glossary)
        if words is None:
            return None
        if question not in self._translations:
            if len(self._translations) > 1024:
                self._translations.clear()
            self._translations[question] = words.translate(question, self.term_freq, GAZETTEER)
        return self._translations[question]

    def term_freq(self, term: str) -> int | None:
        """Chunks containing a vocabulary word; for a longer term (网络零售额,
        several words to the tokenizer) an upper bound: its rarest bigram's."""
        n = self.engine.doc_freq(term)
        if n is not None:
            return n
        tokens = get_tokenizer(self.config.tokenizer)(term, query=True)
        tokens = [t for t in tokens if t.startswith("§")] or tokens
        freqs = [self.engine.doc_freq(t) for t in tokens]
        return None if not freqs or None in freqs else min(freqs)

    def weigh_by_place(self, scores: dict[int, float], question: str) -> dict[int, float]:
        """`scores` ({chunk number: score}) with the chunks that never name the
        English question's place (in text, title or section) times
        PLACE_MISS_FACTOR; unchanged if it names none. e5 matches "Chongqing"
        to a Sichuan passage about the same topic. English seed questions, top
        passage from the gold document: hybrid 0.745 -> 0.863, lexical 0.804 -> 0.843."""
        translation = self.translate(question)
        places = translation.places if translation is not None else []
        if not places:
            return scores
        out = {}
        for i, score in scores.items():
            chunk = self.chunks[i]
            text = normalize(f"{chunk.section_path} {chunk.quote}")
            out[i] = score if all(p in text for p in places) else score * PLACE_MISS_FACTOR
        return out

    def title_pages(self, question: str) -> list[SearchHit]:
        """The first chunk (title page: issuing body, date, speaker) of each
        document the question names by its title ("《数字四川发展报告(2024年)》是
        哪个部门发布的"): retrieval ranks body text above it, though it holds
        the answer."""
        if is_english(question):
            return []  # titles are matched as written, in Chinese
        q = normalize(question)
        quoted = [m for m in re.findall(r"《([^》]{4,})》", q)]
        hits = []
        for meta in self.documents.values():
            title = normalize(meta.get("title") or "")
            core = re.sub(r"[《》]|发布$", "", title)
            if len(core) >= 6 and (core in q or any(x in title for x in quoted) or _shares_run(core, q)):
                chunk = self.chunks[meta["first_chunk"]]
                hits.append(SearchHit(0, 0.0, chunk, added="title page"))
        return hits

    def idf_mass(self, tokens: list[str]) -> float:
        """Total idf of the query terms the corpus contains: about the BM25
        score of a passage matching each of them once (fusion.lexical_strength)."""
        return sum(self.engine.idf(t) for t in tokens if self.engine.doc_freq(t))

    def search(self, query: str, k: int | None = None) -> list[SearchHit]:
        k = k or self.config.top_k
        n_candidates = max(50, 5 * k)
        tokens = self.query_tokens(query)
        bm_idx, bm_scores = self.engine.lexical_top(tokens, n_candidates)
        bm25 = dict(zip(bm_idx.tolist(), bm_scores.tolist()))
        dense: dict[int, float] = {}
        if self.engine.has_dense:
            d_idx, d_scores = self.engine.dense_top(self.embedder.embed_query(query), n_candidates)
            dense = dict(zip(d_idx.tolist(), d_scores.tolist()))
            fused = fusion.fuse(bm25, dense, self.idf_mass(tokens), self.config)
        else:
            fused = bm25
        if is_english(query):
            fused = self.weigh_by_place(fused, query)
        chosen = _diversify(fused, self.chunks, k, self.config.diversity)
        return [
            SearchHit(rank, score, self.chunks[i], bm25.get(i), dense.get(i) if dense else None)
            for rank, (i, score) in enumerate(chosen, 1)
        ]

    def info(self) -> dict:
        m = self.manifest
        return {
            "path": self.engine.location,
            "backend": self.engine.name,
            "mode": self.mode,
            "embedding": m.get("embedding"),
            "embedder": self.embedder.label() if self.embedder is not None else None,
            "tokenizer": self.config.tokenizer,
            "documents": [
                {"doc_id": d, "title": meta.get("title"), "year": meta.get("year"),
                 "date": meta.get("date"), "chunks": meta.get("n_chunks"), "path": meta.get("path")}
                for d, meta in m.get("documents", {}).items()
            ],
            "chunks": len(self.chunks),
            "skipped": m.get("skipped", []),
            "settings": m.get("settings"),
            "libraries": m.get("libraries"),
            "updated_at": m.get("updated_at"),
            "notices": self.notices,
        }


TITLE_RUN = 10  # characters of a long title a question must quote to name the document


def _shares_run(title: str, question: str) -> bool:
    """The question quotes a long stretch of the title ("信息通信业“十四五”高质量发展综述")."""
    runs = (title[i : i + TITLE_RUN] for i in range(len(title) - TITLE_RUN + 1))
    # Chinese runs only: ten Latin characters ("the Chongq") name no document.
    return any(len(re.findall(f"[{CJK}]", run)) >= TITLE_RUN // 2 and run in question for run in runs)


def _embedder_for(manifest: dict, path: Path, config: Config, embedder) -> tuple[Embedder | None, list[str]]:
    """The embedder to search this index's vectors with, or None and a notice
    saying plainly what is missing. Never downloads."""
    stored = manifest.get("embedding")
    if embedder is None or config.embedder == NONE:
        return None, []
    if not isinstance(embedder, str):  # an Embedder given by the caller
        differences = identity_differences(stored, embedder.identity())
        if differences:
            raise IndexMismatchError(path, differences)
        return (embedder if stored else None), []
    if stored:
        embedder, notice = load_embedder(config)
        return embedder, [notice] if notice else []
    if available(config):
        return None, [
            f"the {config.embedder} embedder is available but this index has no dense vectors; "
            "run `assistant index` to add them (lexical retrieval until then)"
        ]
    return None, [load_embedder(config)[1]]


def _diversify(scores: dict[int, float], chunks: list[Chunk], k: int, decay: float) -> list[tuple[int, float]]:
    """Greedy top-k where each earlier pick from the same document multiplies a
    candidate's score by `decay` (1.0 = plain ranking)."""
    if not scores:
        return []
    order = sorted(scores.items(), key=lambda kv: -kv[1])
    if decay >= 1.0:
        return order[:k]
    picked: list[tuple[int, float]] = []
    per_doc: dict[str, int] = {}
    remaining = order
    while remaining and len(picked) < k:
        best_j, best_val = 0, -np.inf
        for j, (i, s) in enumerate(remaining):
            val = s * decay ** per_doc.get(chunks[i].doc_id, 0)
            if val > best_val:
                best_j, best_val = j, val
            if s < best_val:  # sorted: no later candidate can beat it
                break
        i, s = remaining.pop(best_j)
        picked.append((i, s))
        per_doc[chunks[i].doc_id] = per_doc.get(chunks[i].doc_id, 0) + 1
    return picked
