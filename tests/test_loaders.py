"""File formats, encodings and bad input."""

import codecs

import pytest

from assistant.errors import DocumentError, UnsupportedFormatError
from assistant.ingest.loaders import decode_bytes, load_file

from .samples import minimal_pdf

TEXT = "重庆市网民规模达2495万人，互联网普及率78.2%。"
TRAD = "重慶市網民規模達2495萬人，互聯網普及率78.2%。"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TRAD.encode("big5"), "big5"),
        (TEXT.encode("utf-16"), "utf-16"),  # with BOM
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # without BOM
    ],
)
def test_encodings_detected(data, encoding):
    text, detected = decode_bytes(data)
    assert text in (TEXT, TRAD)
    assert detected == encoding


def test_big5_that_is_also_valid_gb18030_is_read_as_big5():
    trad = "重慶市網民規模達2495萬人，互聯網普及率78.2%。數字經濟核心產業增加值達2296.6億元，增長4.7%。"
    data = trad.encode("big5")
    data.decode("gb18030")  # valid, but mojibake: detection must not stop here
    assert decode_bytes(data) == (trad, "big5")


def test_markdown_and_text(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("# 标题\n\n正文。", encoding="utf-8")
    loaded = load_file(p)
    assert loaded.format == "markdown" and loaded.text.startswith("# 标题")


def test_html_visible_text_with_headings_and_tables(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(
        "<html><head><style>.x{}</style><script>var a=1</script></head><body>"
        "<nav>首页 &gt; 新闻</nav><h1>重庆报告</h1><p>网民规模达<b>2495</b>万人。</p>"
        "<table><tr><th>指标</th><th>数据</th></tr><tr><td>5G基站</td><td>34</td></tr></table>"
        "</body></html>",
        encoding="gb18030",
    )
    loaded = load_file(p)
    assert loaded.format == "html" and loaded.encoding == "gb18030"
    assert "# 重庆报告" in loaded.text
    assert "网民规模达2495万人。" in loaded.text
    assert "5G基站\t34" in loaded.text
    assert "var a" not in loaded.text and "首页" not in loaded.text


def test_docx_headings_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("数字四川发展报告", level=1)
    d.add_paragraph("累计建成5G基站20.7万个。")
    table = d.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "指标", "数据"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "电信业务收入(亿元)", "825.8"
    p = tmp_path / "r.docx"
    d.save(p)
    loaded = load_file(p)
    assert "## 数字四川发展报告" in loaded.text
    assert "累计建成5G基站20.7万个。" in loaded.text
    assert "电信业务收入(亿元)\t825.8" in loaded.text


def test_pdf_text_extracted(tmp_path):
    p = tmp_path / "r.pdf"
    p.write_bytes(minimal_pdf("Broadband users reached 3941.4 ten-thousand"))
    loaded = load_file(p)
    assert loaded.format == "pdf" and "3941.4" in loaded.text


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n ", "no text content"),
        ("binary.txt", bytes(range(256)) * 20, "binary file"),
        ("bad.txt", b"\xff\xfe\xfd" * 5 + b"\x80\x81abc\xc3", "cannot decode"),
        ("broken.pdf", b"%PDF-1.4 garbage", "unreadable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "unreadable .docx"),
    ],
)
def test_bad_files_give_clear_reasons(tmp_path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DocumentError) as info:
        load_file(p)
    assert reason in info.value.reason
    assert name in str(info.value)


def test_unsupported_extension(tmp_path):
    p = tmp_path / "slides.key"
    p.write_bytes(b"x")
    with pytest.raises(UnsupportedFormatError, match="unsupported file type '.key'"):
        load_file(p)


def test_size_limit(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(b"a" * (2 * 2**20))
    with pytest.raises(DocumentError, match="file too large"):
        load_file(p, max_bytes=2**20)
