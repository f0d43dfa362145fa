"""Word 97 (.doc), PowerPoint (.pptx) and OFD files, read with the real tools and
libraries (antiword/catdoc, python-pptx, ofdkit): figures come back exact,
structure survives, and damaged files are refused with a reason."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from assistant.errors import DocumentError
from assistant.ingest.loaders import load_file

DATA = Path(__file__).resolve().parent / "data"
FIXTURE_DOC = DATA / "report_2024.doc"  # made by tests/data/make_doc_fixture.py (see README there)
FIGURES = ("2495万人", "78.2%", "312.6亿元", "10.3万个")

# Debian packages that `make test` installs; CI must run these tests, not skip them.
_IN_CI = os.environ.get("CI") == "true"
needs_antiword = pytest.mark.skipif(shutil.which("antiword") is None and not _IN_CI, reason="antiword is not installed")
needs_catdoc = pytest.mark.skipif(shutil.which("catdoc") is None and not _IN_CI, reason="catdoc is not installed")


def _doc(tmp_path: Path) -> Path:
    path = tmp_path / FIXTURE_DOC.name
    shutil.copyfile(FIXTURE_DOC, path)
    return path


def _path_with(monkeypatch, tmp_path: Path, tools: dict[str, str]) -> None:
    """PATH holding only `tools` (name -> a real binary, or a shell script body)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, what in tools.items():
        target = bin_dir / name
        if what.startswith("#!"):
            target.write_text(what)
            target.chmod(0o755)
        else:
            target.symlink_to(what)
    monkeypatch.setenv("PATH", str(bin_dir))


# ----------------------------------------------------------------------- .doc

@needs_antiword
def test_doc_figures_headings_and_table_come_back_exact(tmp_path):
    loaded = load_file(_doc(tmp_path))
    assert loaded.format == "doc"
    text = loaded.text
    for figure in FIGURES:
        assert figure in text
    assert "2024年重庆网民规模达2495万人，互联网普及率78.2%。" in text
    # Word's heading styles become Markdown headings; the Title-style line the title.
    assert text.startswith("# 重庆市互联网发展报告（2024）\n\n## 一、总体情况\n\n")
    assert "\n## 二、基础设施\n" in text
    # The table as tab-separated rows, header first, each cell whole.
    assert "指标\t2023年\t2024年\n网民规模（万人）\t2398\t2495\n互联网普及率\t75.1%\t78.2%" in text


@needs_antiword
def test_doc_chunks_carry_their_section(tmp_path):
    from assistant.documents import read_document

    doc = read_document(_doc(tmp_path))
    assert doc.format == "doc" and doc.title == "重庆市互联网发展报告（2024）"
    chunk = next(c for c in doc.chunks if "2495万人" in c.text and c.kind == "text")
    assert "一、总体情况" in chunk.section_path
    rows = [c for c in doc.chunks if c.kind == "table_row"]
    assert any("78.2%" in c.text and "2024年" in c.context for c in rows)


@needs_catdoc
def test_catdoc_reads_the_doc_when_antiword_is_missing(tmp_path, monkeypatch):
    _path_with(monkeypatch, tmp_path, {"catdoc": shutil.which("catdoc")})
    text = load_file(_doc(tmp_path)).text
    for figure in FIGURES:
        assert figure in text
    assert "2024年重庆网民规模达2495万人，互联网普及率78.2%。" in text
    assert "网民规模（万人）\t2398\t2495\n互联网普及率\t75.1%\t78.2%" in text
    assert "\n\n一、总体情况\n\n" in text  # one paragraph per block, blank-line separated


@needs_catdoc
def test_catdoc_is_tried_when_antiword_fails(tmp_path, monkeypatch):
    broken = "#!/bin/sh\necho \"I'm afraid the text stream of this file is too small to handle.\" >&2\nexit 1\n"
    _path_with(monkeypatch, tmp_path, {"antiword": broken, "catdoc": shutil.which("catdoc")})
    assert "2495万人" in load_file(_doc(tmp_path)).text


def test_both_tools_failing_gives_both_reasons(tmp_path, monkeypatch):
    _path_with(monkeypatch, tmp_path, {
        "antiword": "#!/bin/sh\necho 'is not a Word Document.' >&2\nexit 1\n",
        "catdoc": "#!/bin/sh\necho 'catdoc: unexpected end of file' >&2\necho more >&2\nexit 2\n",
    })
    with pytest.raises(DocumentError) as info:
        load_file(_doc(tmp_path))
    reason = info.value.reason
    assert reason.startswith("unreadable .doc")
    assert "antiword: is not a Word Document." in reason and "catdoc: catdoc: unexpected end of file" in reason
    assert "more" not in reason  # first stderr line only


def test_doc_without_either_tool_names_both_and_how_to_install(tmp_path, monkeypatch):
    _path_with(monkeypatch, tmp_path, {})
    with pytest.raises(DocumentError) as info:
        load_file(_doc(tmp_path))
    reason = info.value.reason
    assert "skipped" in reason and "antiword" in reason and "catdoc" in reason
    assert "apt-get install antiword catdoc" in reason


def test_a_doc_that_is_no_word_file_is_refused_not_printed_as_noise(tmp_path):
    # catdoc prints any bytes as text; random bytes must not reach the index.
    path = tmp_path / "noise.doc"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(DocumentError, match=r"noise\.doc: not a Word 97-2003 document"):
        load_file(path)


@needs_antiword
def test_antiword_text_mode_when_its_docbook_does_not_parse(tmp_path, monkeypatch):
    real = shutil.which("antiword")
    odd = f'#!/bin/sh\nif [ "$1" = "-x" ]; then echo "<book><para>"; else exec {real} "$@"; fi\n'
    _path_with(monkeypatch, tmp_path, {"antiword": odd})
    text = load_file(_doc(tmp_path)).text
    assert "2024年重庆网民规模达2495万人，互联网普及率78.2%。" in text
    assert "网民规模（万人）\t2398\t2495" in text  # `|cell |cell |` rows as tab rows


def test_a_docx_or_web_page_named_doc_is_read_for_what_it_is(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("互联网普及率78.2%。")
    path = tmp_path / "renamed.doc"
    d.save(str(path))
    assert "78.2%" in load_file(path).text
    page = tmp_path / "page.doc"  # Word's "save as web page", still named .doc
    page.write_text("<html><body><h1>公报</h1><p>网民规模达2495万人。</p></body></html>", encoding="utf-8")
    assert load_file(page).text == "# 公报\n\n网民规模达2495万人。"


# ---------------------------------------------------------------------- .pptx

def _deck(path: Path, slides: list[tuple[str, list[str]]]) -> Path:
    import pptx

    deck = pptx.Presentation()
    for title, lines in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = lines[0]
        for line in lines[1:]:
            body.add_paragraph().text = line
    deck.save(str(path))
    return path


def test_pptx_slides_are_sections_of_their_own(tmp_path):
    from assistant.documents import read_document

    path = _deck(tmp_path / "deck.pptx", [
        ("重庆网民规模", ["2024年重庆网民规模达2495万人。", "较上年增加97万人"]),
        ("互联网普及率", ["互联网普及率达到78.2%。"]),
    ])
    loaded = load_file(path)
    assert loaded.format == "pptx"
    text = loaded.text
    first, second = text.index("## 第1页 重庆网民规模"), text.index("## 第2页 互联网普及率")
    assert first < text.index("2495万人") < second < text.index("78.2%")
    # The title is the heading only, then the body's paragraphs one per line.
    assert "## 第1页 重庆网民规模\n\n2024年重庆网民规模达2495万人。\n较上年增加97万人\n\n## 第2页" in text
    assert text.startswith("# 重庆网民规模\n\n")  # the deck's title: the first slide's

    doc = read_document(path)
    slide_of = {"2495万人": "第1页 重庆网民规模", "78.2%": "第2页 互联网普及率"}
    for figure, slide in slide_of.items():
        chunk = next(c for c in doc.chunks if figure in c.text)
        assert slide in chunk.section and slide in chunk.section_path
    for chunk in doc.chunks:
        assert not ("2495万人" in chunk.text and "78.2%" in chunk.text)
        assert not ("第1页" in chunk.section_path and "第2页" in chunk.section_path)


def test_pptx_tables_groups_and_charts(tmp_path):
    import pptx
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "主要指标"
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (r, c), value in {(0, 0): "指标", (0, 1): "2024年", (1, 0): "5G基站（万个）", (1, 1): "10.3"}.items():
        table.cell(r, c).text = value
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(4), Inches(3), Inches(1)).text_frame.text = "数据来源：通信管理局"
    data = CategoryChartData()
    data.categories = ["2023年", "2024年"]
    data.add_series("网民规模（万人）", (2398, 2495))
    data.add_series("普及率（%）", (75.1, 78.2))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(5), Inches(2), Inches(4), Inches(3), data)
    path = tmp_path / "table.pptx"
    deck.save(str(path))

    text = load_file(path).text
    assert "指标\t2024年\n5G基站（万个）\t10.3" in text
    assert "数据来源：通信管理局" in text  # inside a group shape
    assert "\n类别\t网民规模（万人）\t普及率（%）\n2023年\t2398\t75.1\n2024年\t2495\t78.2" in text


def test_a_damaged_pptx_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.pptx"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(DocumentError, match=r"broken\.pptx: unreadable \.pptx \(not a valid zip archive\)"):
        load_file(path)
    # A valid zip that is no presentation fails inside python-pptx: still a DocumentError.
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a deck")
    with pytest.raises(DocumentError, match=r"unreadable \.pptx: "):
        load_file(path)


# ----------------------------------------------------------------------- .ofd

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _text_object(object_id: int, y: float, text: str) -> str:
    # One line of text at 10 mm from the left, baseline `y` mm from the top, 5 mm type.
    return (f'<ofd:TextObject ID="{object_id}" Boundary="10 {y - 5} 190 8" Font="2" Size="5">'
            f'<ofd:TextCode X="0" Y="5">{text}</ofd:TextCode></ofd:TextObject>')


def _ofd(pages: list[list[str]]) -> bytes:
    """A minimal OFD (GB/T 33190): OFD.xml -> Doc_0/Document.xml -> one
    Content.xml per page, each line a TextObject with one TextCode."""
    parts = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.1" DocType="OFD">'
                   '<ofd:DocBody><ofd:DocInfo><ofd:DocID>0c1d2e3f</ofd:DocID><ofd:Title>统计公报</ofd:Title>'
                   '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res">'
                               '<ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
    }
    refs = "".join(f'<ofd:Page ID="{100 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
    parts["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID>'
        '<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
        f'<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>{refs}</ofd:Pages></ofd:Document>'
    )
    for n, lines in enumerate(pages):
        objects = "".join(_text_object(200 + 10 * n + i, 30 + 10 * i, line) for i, line in enumerate(lines))
        parts[f"Doc_0/Pages/Page_{n}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content>'
            f'<ofd:Layer ID="{300 + n}">{objects}</ofd:Layer></ofd:Content></ofd:Page>'
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, xml.encode("utf-8"))
    return buffer.getvalue()


OFD_PAGES = [
    ["重庆市2024年互联网发展统计公报", "2024年重庆网民规模达2495万人，互联网普及率78.2%。"],
    ["全市累计建成5G基站10.3万个。"],
]


def test_ofd_text_comes_back_exact_page_by_page(tmp_path):
    path = tmp_path / "bulletin.ofd"
    path.write_bytes(_ofd(OFD_PAGES))
    loaded = load_file(path)
    assert loaded.format == "ofd"
    assert loaded.text == (
        "重庆市2024年互联网发展统计公报\n2024年重庆网民规模达2495万人，互联网普及率78.2%。"
        "\n\n全市累计建成5G基站10.3万个。"
    )


@pytest.mark.parametrize("damage", ["random", "truncated"])
def test_a_corrupt_ofd_is_a_clear_error(tmp_path, damage):
    good = _ofd(OFD_PAGES)
    path = tmp_path / "broken.ofd"
    path.write_bytes(os.urandom(2048) if damage == "random" else good[: len(good) // 2])
    with pytest.raises(DocumentError) as info:
        load_file(path)
    assert str(path) in str(info.value)
    assert info.value.reason.startswith("unreadable .ofd (not a valid zip archive)")


def test_a_zip_without_ofd_xml_is_not_an_ofd(tmp_path):
    path = tmp_path / "other.ofd"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Doc_0/Document.xml", "<Document/>")
    with pytest.raises(DocumentError, match=r"unreadable \.ofd: not an OFD file: OFD\.xml is missing"):
        load_file(path)


def test_zip_bounds_name_the_format(tmp_path):
    # 200 KB of zeros deflates to a few hundred bytes: over 10x a 10 KB file limit.
    path = tmp_path / "bomb.ofd"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", b"\0" * 200_000)
    with pytest.raises(DocumentError, match=r"\.ofd inflates to 0\.2 MB \(limit 0\.1 MB\); refusing a possible zip bomb"):
        load_file(path, max_bytes=10_000)


def test_ofd_page_limit(tmp_path):
    from assistant.ingest.base import LoadOptions

    path = tmp_path / "long.ofd"
    path.write_bytes(_ofd([["第一页。"], ["第二页。"], ["第三页。"]]))
    with pytest.raises(DocumentError, match=r"\.ofd has 3 pages \(limit 2\)"):
        load_file(path, LoadOptions(max_pages=2))


def test_a_corrupt_ofd_is_skipped_and_the_index_keeps_the_rest(tmp_path):
    from assistant.config import Config
    from assistant.index import store
    from assistant.index.builder import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("重庆网民规模\n\n2024年重庆网民规模达2495万人，互联网普及率78.2%。\n", encoding="utf-8")
    config = Config(corpus_dir=str(corpus), index_root=str(tmp_path / "index"), embedder="none")
    index_path = tmp_path / "index" / "corpus"
    first = build_index([corpus], index_path, config, embedder=None)
    assert first.added == ["good"] and not first.skipped

    (corpus / "bad.ofd").write_bytes(os.urandom(2048))
    second = build_index([corpus], index_path, config, embedder=None)
    assert second.unchanged == ["good"] and second.documents == 1
    [skipped] = second.skipped
    assert skipped["path"].endswith("bad.ofd")
    assert "unreadable .ofd" in skipped["reason"]
    assert "good" in store.read_manifest(index_path)["documents"]
