""".docx decompression bounds: zip bombs shaped like a Word document are refused
before python-docx inflates anything, with a DocumentError naming the file and
the reason; real documents, large or repetitive, still load."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile

import pytest

from assistant.documents import LoadOptions, read_document
from assistant.errors import DocumentError
from assistant.ingest.loaders import load_file
from assistant.ingest.archive import ZIP_MAX_MEMBERS, ZIP_MAX_RATIO


def _real_docx(paragraphs: list[str]) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("数字四川发展报告", level=1)
    for text in paragraphs:
        d.add_paragraph(text)
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


def _repeated_paragraphs(docx_bytes: bytes, text: str, n: int) -> bytes:
    """The document with `n` more identical paragraphs, written into its XML
    directly (python-docx's add_paragraph takes minutes for this many)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                at = xml.index("<w:body>") + len("<w:body>")
                data = (xml[:at] + f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" * n + xml[at:]).encode("utf-8")
            dst.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _with_member(docx_bytes: bytes, name: str, data: bytes, count: int = 1) -> bytes:
    """The document plus `count` extra members holding `data`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        for i in range(count):
            dst.writestr(name if count == 1 else f"{name}{i}", data)
    return out.getvalue()


def _bomb(docx_bytes: bytes, size: int) -> bytes:
    """A zip bomb in the part python-docx parses first: word/document.xml, still
    well-formed XML, padded with `size` bytes of whitespace that deflate shrinks
    about 1000:1. Streamed, so the test never holds the inflated size in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "word/document.xml":
                dst.writestr(item, src.read(item))
                continue
            xml = src.read(item)
            at = xml.index(b"<w:body>") + len(b"<w:body>")
            with dst.open("word/document.xml", "w") as f:
                f.write(xml[:at])
                block = b" " * 2**20
                for _ in range(size // len(block)):
                    f.write(block)
                f.write(xml[at:])
    return out.getvalue()


@pytest.fixture(scope="module")
def small_docx() -> bytes:
    return _real_docx(["累计建成5G基站20.7万个。", "电信业务收入825.8亿元，同比增长3.2%。"])


def test_a_normal_docx_still_loads(tmp_path, small_docx):
    path = tmp_path / "report.docx"
    path.write_bytes(small_docx)
    doc = read_document(path, LoadOptions(max_bytes=20 * 2**20))
    assert "## 数字四川发展报告" in doc.text and "825.8亿元" in doc.text


def test_a_bomb_over_the_size_bound_is_refused(tmp_path, small_docx):
    # 210 MB of XML inside a ~200 KB file: over 10x the 20 MB file limit.
    path = tmp_path / "bomb.docx"
    path.write_bytes(_bomb(small_docx, 210 * 2**20))
    assert path.stat().st_size < 2**20
    started = time.perf_counter()
    with pytest.raises(DocumentError) as info:
        read_document(path, LoadOptions(max_bytes=20 * 2**20))
    assert str(path) in str(info.value)
    assert re.search(r"inflates to 21\d\.\d MB \(limit 200\.0 MB\); refusing a possible zip bomb", info.value.reason)
    assert time.perf_counter() - started < 2  # refused from the directory, nothing inflated


def test_the_bound_follows_the_file_size_limit(tmp_path, small_docx):
    path = tmp_path / "bomb.docx"
    path.write_bytes(_bomb(small_docx, 12 * 2**20))
    with pytest.raises(DocumentError, match=r"inflates to 12\.\d MB \(limit 10\.0 MB\)"):
        load_file(path, max_bytes=2**20)


def test_an_extreme_compression_ratio_is_refused_under_the_size_bound(tmp_path, small_docx):
    # 50 MB of padding is under the 200 MB bound but compresses ~1000:1.
    path = tmp_path / "dense.docx"
    path.write_bytes(_bomb(small_docx, 50 * 2**20))
    with pytest.raises(DocumentError) as info:
        load_file(path, max_bytes=20 * 2**20)
    assert str(path) in str(info.value)
    assert "'word/document.xml' has compression ratio" in info.value.reason
    assert f"(limit {ZIP_MAX_RATIO}:1)" in info.value.reason


def test_too_many_members_are_refused(tmp_path, small_docx):
    path = tmp_path / "swarm.docx"
    parts = len(zipfile.ZipFile(io.BytesIO(small_docx)).infolist())
    path.write_bytes(_with_member(small_docx, "customXml/item", b"", count=ZIP_MAX_MEMBERS))
    with pytest.raises(DocumentError, match=rf"swarm.docx: \.docx archive has {ZIP_MAX_MEMBERS + parts} members"):
        load_file(path)


def test_large_or_repetitive_real_documents_are_not_mistaken_for_bombs(tmp_path, small_docx):
    # Incompressible media (a 5 MB photo) and 20,000 identical paragraphs (XML
    # that deflates ~266:1, the most repetitive real text measured) both load.
    photo = tmp_path / "photo.docx"
    photo.write_bytes(_with_member(small_docx, "word/media/image1.jpeg", os.urandom(5 * 2**20)))
    assert "825.8亿元" in load_file(photo, max_bytes=20 * 2**20).text
    form = tmp_path / "form.docx"
    form.write_bytes(_repeated_paragraphs(small_docx, "重庆网民规模达2495万人，互联网普及率78.2%。", 20_000))
    with zipfile.ZipFile(form) as z:
        xml = z.getinfo("word/document.xml")
        assert xml.file_size > 200 * xml.compress_size  # far more compressible than usual XML
    started = time.perf_counter()
    assert load_file(form, max_bytes=20 * 2**20).text.count("2495万人") == 20_000
    # Style names are resolved once, not per paragraph (that took 40 s here).
    assert time.perf_counter() - started < 15


def test_a_damaged_docx_is_a_clear_error(tmp_path, small_docx):
    data = bytearray(small_docx)
    start = data.find(b"word/document.xml")  # corrupt the compressed body of the main part
    data[start + 200 : start + 400] = bytes(200)
    path = tmp_path / "damaged.docx"
    path.write_bytes(bytes(data))
    with pytest.raises(DocumentError, match=r"damaged\.docx: unreadable \.docx"):
        load_file(path)
