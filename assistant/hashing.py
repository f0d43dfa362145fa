"""SHA-256, the one way the package fingerprints content: documents (whether a
file changed since it was indexed, whether an upload is already in the corpus),
index data files (whether they were altered), model files and OCR'd pages (the
cache key). Files are read in blocks, so a large one never sits in memory whole."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

# Large enough that hashing a multi-GB index file is not dominated by read
# calls, small enough to cost nothing next to the rest of a build.
BLOCK_BYTES = 1 << 22


def sha256_of(pieces: Iterable[bytes]) -> str:
    """The hex digest of the pieces, in order (as if they were one string)."""
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    return digest.hexdigest()


def file_blocks(path: str | os.PathLike, size: int = BLOCK_BYTES) -> Iterable[bytes]:
    """A file's bytes, `size` at a time."""
    with open(path, "rb") as f:
        while block := f.read(size):
            yield block


def file_sha256(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file's contents, read block by block."""
    return sha256_of(file_blocks(path))


__all__ = ["BLOCK_BYTES", "file_blocks", "file_sha256", "sha256_of"]
