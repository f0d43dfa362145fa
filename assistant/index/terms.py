"""Building the postings (postings.py) in bounded memory, as Lucene does:
chunks' term counts accumulate chunk-major, are turned term-major and spilled
to a segment file every `segment_postings` postings, and the segments (plus,
on an incremental build, the previous index's postings for the chunks carried
over) are merged one block of terms at a time into the final files, where the
BM25 scores are computed with the global statistics and quantised."""

from __future__ import annotations

import os
import shutil
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass
from itertools import chain, filterfalse
from pathlib import Path

import numpy as np

from .postings import (GAP_WIDTHS, IMPACT_LEVELS, SKIP, TF_MAX, Postings, bm25_idf, bm25_norm)
from .vocab import write_vocabulary

# Postings held in memory before a spill: ~5 bytes each (int32 term id, uint8 tf),
# plus ~3x that while one is turned term-major: ~0.5 GB at most.
SEGMENT_POSTINGS = 32_000_000
# Postings merged at once: ~60 bytes each in flight (sort keys, scores): ~0.5 GB.
MERGE_BLOCK = 8_000_000
# zlib level for the term frequencies: 1 compresses them to 0.23 of a byte per
# posting, 6 to 0.18 at several times the time (100k-chunk synthetic corpus).
TF_ZLIB_LEVEL = 1


def count_terms(tokens: list[str]) -> tuple[list[str], list[int]]:
    """Distinct terms of one chunk and how often each occurs (first-seen order)."""
    counts = Counter(tokens)
    return list(counts), list(counts.values())


@dataclass
class EncodedCounts:
    """One document's chunks' term counts as numbered by the process that
    tokenized them: the build's parent then maps a few new terms and renumbers
    the rest with one numpy lookup, instead of hashing every token itself
    (which had made the parent the bottleneck of large builds)."""

    source: tuple  # (process id, build id): whose numbering
    first_new: int  # local id of new_terms[0]
    new_terms: list[str]  # terms this process had not numbered before
    indptr: np.ndarray  # int64, chunks + 1
    ids: np.ndarray  # int32 local term ids
    tf: np.ndarray  # uint8
    doclen: np.ndarray  # uint32 tokens per chunk


class LocalVocabulary:
    """A worker's own term numbering for one build."""

    def __init__(self, build_id: str):
        self.build_id = build_id
        self.ids: dict[str, int] = {}
        self.reported = 0

    def encode(self, rows: list[tuple[list[str], list[int]]]) -> EncodedCounts:
        # C-level iteration throughout: this runs for every term of every chunk.
        terms = list(chain.from_iterable(t for t, _ in rows))
        vocab, n = self.ids, len(self.ids)
        new_terms = list(filterfalse(vocab.__contains__, dict.fromkeys(terms)))  # first-seen order
        vocab.update(zip(new_terms, range(n, n + len(new_terms))))
        counts = np.fromiter(chain.from_iterable(c for _, c in rows), np.int64, len(terms))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(t) for t, _ in rows], out=indptr[1:])
        doclen = np.bincount(np.repeat(np.arange(len(rows)), np.diff(indptr)), weights=counts, minlength=len(rows))
        first_new, self.reported = self.reported, len(vocab)
        return EncodedCounts((os.getpid(), self.build_id), first_new, new_terms, indptr,
                             np.fromiter(map(vocab.__getitem__, terms), np.int32, len(terms)),
                             counts.clip(max=TF_MAX).astype(np.uint8), doclen.astype(np.uint32))


class PostingsBuilder:
    """Chunks are appended in index order, new (`add`) or carried over from the
    previous index (`carry`); `write` produces the postings directory."""

    def __init__(self, work_dir: Path, old: Postings | None = None,
                 segment_postings: int = SEGMENT_POSTINGS):
        self.work_dir = Path(work_dir)
        self.vocab: dict[str, int] = old.vocab.to_dict() if old is not None else {}
        self.old = old
        self._remap = np.full(old.n_docs if old is not None else 0, -1, dtype=np.int32)
        self._doclen = array("I")
        self._carried = False
        self._segment_postings = segment_postings
        self._segments: list[Path] = []
        self._remaps: dict[tuple, array] = {}  # local -> global term ids, per source
        self._own: LocalVocabulary | None = None  # numbering for `add`
        self._reset()

    def _reset(self) -> None:
        self._ids, self._tf = array("i"), array("B")
        self._indptr, self._rows = array("q", [0]), array("i")

    @property
    def n_docs(self) -> int:
        return len(self._doclen)

    def add(self, terms: list[str], counts: list[int]) -> None:
        """One chunk's distinct terms and counts (`count_terms`), numbered here."""
        if self._own is None:
            self._own = LocalVocabulary("direct")
        self.add_encoded(self._own.encode([(terms, counts)]))

    def add_encoded(self, enc: EncodedCounts) -> None:
        """A document's chunks, numbered by a worker (`LocalVocabulary`)."""
        remap = self._remaps.setdefault(enc.source, array("i"))
        if enc.first_new != len(remap):
            raise RuntimeError(f"term numbering of {enc.source} out of order: {enc.first_new} != {len(remap)}")
        vocab = self.vocab
        remap.extend([vocab.setdefault(t, len(vocab)) for t in enc.new_terms])
        base, rows = len(self._ids), len(enc.indptr) - 1
        self._ids.frombytes(np.frombuffer(remap, dtype=np.int32)[enc.ids].tobytes())
        self._tf.frombytes(enc.tf.tobytes())
        self._indptr.frombytes((enc.indptr[1:] + base).tobytes())
        self._rows.frombytes(np.arange(self.n_docs, self.n_docs + rows, dtype=np.int32).tobytes())
        self._doclen.frombytes(enc.doclen.tobytes())
        if len(self._ids) >= self._segment_postings:
            self._spill()

    def carry(self, start: int, end: int) -> None:
        """Chunks start:end of the previous index come next, unchanged."""
        self._carried = True
        self._remap[start:end] = np.arange(self.n_docs, self.n_docs + end - start, dtype=np.int32)
        self._doclen.frombytes(np.ascontiguousarray(self.old.doclen[start:end], dtype=np.uint32).tobytes())

    def _spill(self) -> None:
        """The accumulated chunks, term-major, to a segment file."""
        from scipy import sparse

        if len(self._rows) == 0:
            return
        indptr = np.frombuffer(self._indptr, dtype=np.int64)
        ids = np.frombuffer(self._ids, dtype=np.int32)
        tf = np.frombuffer(self._tf, dtype=np.uint8)
        matrix = sparse.csr_matrix((tf, ids, indptr), shape=(len(indptr) - 1, len(self.vocab))).tocsc()
        segment = self.work_dir / f"segment{len(self._segments):04d}"
        segment.mkdir(parents=True)
        rows = np.frombuffer(self._rows, dtype=np.int32)
        np.save(segment / "term_ptr.npy", matrix.indptr.astype(np.int64))
        np.save(segment / "docs.npy", rows[matrix.indices])
        np.save(segment / "tf.npy", matrix.data.astype(np.uint8))
        self._segments.append(segment)
        self._reset()

    def _sources(self, t0: int, t1: int):
        """(term ids, chunk numbers, tf) of terms t0:t1 from every source."""
        old = self.old
        if old is not None and self._carried and t0 < old.n_terms:
            top = min(t1, old.n_terms)
            df, docs, tf = old.decode(t0, top)
            docs = self._remap[docs]
            keep = docs >= 0
            yield np.repeat(np.arange(t0, top, dtype=np.int32), df)[keep], docs[keep], tf[keep]
        for segment in self._segments:
            term_ptr = np.load(segment / "term_ptr.npy", mmap_mode="r")
            n = len(term_ptr) - 1
            if t0 >= n:
                continue
            top = min(t1, n)
            lo, hi = int(term_ptr[t0]), int(term_ptr[top])
            counts = np.diff(term_ptr[t0 : top + 1])
            docs = np.load(segment / "docs.npy", mmap_mode="r")[lo:hi]
            tf = np.load(segment / "tf.npy", mmap_mode="r")[lo:hi]
            yield np.repeat(np.arange(t0, top, dtype=np.int32), counts), np.asarray(docs), np.asarray(tf)

    def _upper_counts(self) -> np.ndarray:
        """Postings per term over all sources (before removed chunks are dropped)."""
        counts = np.zeros(len(self.vocab), dtype=np.int64)
        if self.old is not None:
            counts[: self.old.n_terms] += self.old.dfs()
        for segment in self._segments:
            per_term = np.diff(np.load(segment / "term_ptr.npy"))
            counts[: len(per_term)] += per_term
        return counts

    def write(self, directory: Path, k1: float, b: float) -> None:
        self._spill()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        doclen = np.frombuffer(self._doclen, dtype=np.uint32)
        norm = bm25_norm(doclen, k1, b)
        out = _Output(directory, len(doclen))
        counts = np.cumsum(self._upper_counts())
        t0 = 0
        while t0 < len(self.vocab):
            # the next block: terms up to MERGE_BLOCK postings (at least one term)
            t1 = max(t0 + 1, int(np.searchsorted(counts, (counts[t0 - 1] if t0 else 0) + MERGE_BLOCK, "right")))
            parts = list(self._sources(t0, t1))
            if self.old is not None:
                self.old.release()  # read once, in order: keep it out of resident memory
            if parts:
                terms, docs, tf = (np.concatenate(x) for x in zip(*parts))
                # every source is sorted by (term, chunk): a stable sort merges the runs
                order = np.argsort(terms.astype(np.int64) * max(1, len(doclen)) + docs, kind="stable")
                out.block(terms[order], docs[order], tf[order], norm, k1)
            t0 = t1
        terms = list(self.vocab)
        out.close([terms[t] for t in out.kept])
        np.save(directory / "doclen.npy", doclen)
        shutil.rmtree(self.work_dir, ignore_errors=True)


class _Output:
    """Appends merged blocks to the postings files."""

    def __init__(self, directory: Path, n_docs: int):
        self.directory = directory
        self.n_docs = n_docs
        self.files = {name: open(directory / name, "wb") for name in
                      ("impact.bin", "tf.z", *(f"gaps{w}.bin" for w in GAP_WIDTHS))}
        self.tf_blocks = [(0, 0)]  # (first posting, first byte) of each compressed block
        self.written = {w: 0 for w in GAP_WIDTHS}
        self.arrays: dict[str, list[np.ndarray]] = {name: [] for name in ("df", "first", "width", "gap_at", "scale", "skips")}
        self.kept: list[int] = []  # working term id of each term written

    def block(self, terms: np.ndarray, docs: np.ndarray, tf: np.ndarray, norm: np.ndarray, k1: float) -> None:
        starts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]])  # terms are sorted
        ids, df = terms[starts], np.diff(np.r_[starts, len(terms)])
        idf = bm25_idf(df, self.n_docs)
        t = tf.astype(np.float32)
        score = np.repeat(idf, df) * t / (t + norm[docs])
        scale = (np.maximum.reduceat(score, starts) / IMPACT_LEVELS).astype(np.float32)
        scale[scale == 0] = 1.0  # only for an all-zero term, which cannot score anyway
        quantised = np.rint(score / np.repeat(scale, df)).clip(0, IMPACT_LEVELS).astype(np.uint8)
        gaps = np.zeros(len(docs), dtype=np.int64)
        gaps[1:] = np.diff(docs)
        gaps[starts] = 0
        largest = np.maximum.reduceat(gaps, starts)
        width = np.where(df <= 1, 0, np.where(largest < 2**8, 1, np.where(largest < 2**16, 2, 4))).astype(np.uint8)
        gap_at = np.zeros(len(ids), dtype=np.int64)
        is_start = np.zeros(len(docs), dtype=bool)
        is_start[starts] = True
        for w, dtype in GAP_WIDTHS.items():
            mine = width == w
            gap_at[mine] = self.written[w] + np.cumsum(df[mine] - 1) - (df[mine] - 1)
            values = gaps[np.repeat(mine, df) & ~is_start].astype(dtype)
            self.files[f"gaps{w}.bin"].write(values.tobytes())
            self.written[w] += len(values)
        self.files["impact.bin"].write(quantised.tobytes())
        packed = zlib.compress(tf.astype(np.uint8).tobytes(), TF_ZLIB_LEVEL)
        self.files["tf.z"].write(packed)
        self.tf_blocks.append((self.tf_blocks[-1][0] + len(tf), self.tf_blocks[-1][1] + len(packed)))
        # every SKIP-th chunk number of the terms with more than SKIP postings
        offset = np.arange(len(docs)) - np.repeat(starts, df)
        skips = docs[(offset % SKIP == 0) & np.repeat(df > SKIP, df)].astype(np.int32)
        for name, value in (("df", df.astype(np.int32)), ("first", docs[starts].astype(np.int32)),
                            ("width", width), ("gap_at", gap_at), ("scale", scale), ("skips", skips)):
            self.arrays[name].append(value)
        self.kept.extend(ids.tolist())

    def close(self, terms: list[str]) -> None:
        for f in self.files.values():
            f.close()
        dtypes = {"df": np.int32, "first": np.int32, "width": np.uint8, "gap_at": np.int64, "scale": np.float32,
                  "skips": np.int32}
        arrays = {name: np.concatenate(parts) if parts else np.zeros(0, dtypes[name])
                  for name, parts in self.arrays.items()}
        ptr = np.zeros(len(arrays.pop("df")) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(self.arrays["df"]) if self.arrays["df"] else [], out=ptr[1:])
        np.save(self.directory / "ptr.npy", ptr)
        np.save(self.directory / "tf.index.npy", np.array(self.tf_blocks, dtype=np.int64))
        for name, value in arrays.items():
            np.save(self.directory / f"{name}.npy", value)
        write_vocabulary(self.directory, terms)
