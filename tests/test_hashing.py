"""The one SHA-256 of the package: files read block by block give the digest of
their whole contents, and pieces hash as their concatenation (so the OCR cache
keys, built from a settings line and a page's pixels, did not change)."""

import hashlib

from assistant.hashing import BLOCK_BYTES, file_blocks, file_sha256, sha256_of


def test_a_file_over_several_blocks_hashes_as_its_whole_contents(tmp_path):
    data = bytes(range(256)) * 1000 + b"tail"
    file = tmp_path / "data.bin"
    file.write_bytes(data)
    blocks = list(file_blocks(file, 4096))  # many blocks, the last one partial
    assert len(blocks) > 60 and b"".join(blocks) == data
    assert file_sha256(file) == hashlib.sha256(data).hexdigest()
    large = tmp_path / "large.bin"  # over one BLOCK_BYTES read
    large.write_bytes(data * (BLOCK_BYTES // len(data) + 2))
    assert file_sha256(large) == hashlib.sha256(large.read_bytes()).hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert file_sha256(empty) == hashlib.sha256(b"").hexdigest()


def test_pieces_hash_as_their_concatenation():
    assert sha256_of((b"settings|", b"pixels")) == hashlib.sha256(b"settings|pixels").hexdigest()
