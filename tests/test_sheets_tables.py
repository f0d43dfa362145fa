"""Spreadsheets (.xlsx, .csv) and ruled tables in PDFs: every data row becomes a
`table_row` chunk that repeats its header (and caption), cited under its sheet,
with each figure exactly as the user sees it. Fixtures are made here with the
real libraries (openpyxl, reportlab)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest

from assistant.documents import read_document
from assistant.errors import DocumentError
from assistant.ingest import sheets
from assistant.ingest.clean import clean_text
from assistant.ingest.loaders import load_file
from assistant.ingest.pdf_tables import MIN_EDGES, drawn_edges, ruled_tables
from assistant.ingest.sheets import format_number, sniff_delimiter, table_lines

CAPTION = "表1 2024年重庆互联网发展主要指标"
ROWS = [("网民规模（万人）", "2495"), ("互联网普及率", "78.2%"), ("固定宽带用户（万户）", "1,896.5")]


def _rows(doc):
    return [c for c in doc.chunks if c.kind == "table_row"]


def _row(doc, label: str):
    return next(c for c in _rows(doc) if c.text.startswith(label + "\t"))


# ----------------------------------------------------------------------- xlsx


def _workbook(path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "主要指标"
    sheet.append([CAPTION])
    sheet.append(["指标", "数值", "统计日期", None])
    sheet.append(["网民规模（万人）", 2495, dt.date(2024, 12, 31)])
    sheet.append([None, None, None])  # an empty row inside the table
    sheet.append(["互联网普及率", 0.782, dt.date(2024, 12, 31)])
    sheet["B5"].number_format = "0.0%"
    sheet.append(["固定宽带用户\n（万户）", 1896.5])  # a line break inside a cell
    sheet["B6"].number_format = "#,##0.0"
    sheet.append(["移动电话用户（万户）", 3000.1 + 0.1])  # 3000.2 plus binary noise
    other = book.create_sheet("分区县数据")
    other.append(["区县", "人口（万人）", "增长率"])
    other.append(["渝中区", 58.9, 0.0123])
    other["C2"].number_format = "0.00%"
    other.append(["一、主城都市区"])  # a group label inside the table
    other.append(["万州区", 156, -0.005])
    other["C4"].number_format = "0.0%"
    book.create_sheet("空表")
    book.save(path)


def test_xlsx_rows_are_chunks_with_header_sheet_and_exact_figures(tmp_path):
    path = tmp_path / "互联网指标.xlsx"
    _workbook(path)
    doc = read_document(path)

    assert doc.format == "xlsx"
    assert len(_rows(doc)) == 6
    for chunk in _rows(doc):
        assert chunk.title == "互联网指标"
        assert chunk.section[0] in {"主要指标", "分区县数据"}
        assert chunk.section[0] in chunk.section_path
    first = [c for c in _rows(doc) if c.section[0] == "主要指标"]
    for chunk in first:
        assert chunk.quote.startswith(f"{CAPTION}\n指标\t数值\t统计日期\n")
    assert _row(doc, "网民规模（万人）").text == "网民规模（万人）\t2495\t2024-12-31"
    assert _row(doc, "互联网普及率").text == "互联网普及率\t78.2%\t2024-12-31"
    assert _row(doc, "固定宽带用户（万户）").text == "固定宽带用户（万户）\t1,896.5"
    assert _row(doc, "移动电话用户（万户）").text == "移动电话用户（万户）\t3000.2"

    # The second sheet is cited as itself, not under the first one.
    wanzhou = _row(doc, "万州区")
    assert wanzhou.section_path == "互联网指标 › 分区县数据 › 一、主城都市区"
    assert wanzhou.quote == "区县\t人口（万人）\t增长率\n万州区\t156\t-0.5%"
    assert _row(doc, "渝中区").text == "渝中区\t58.9\t1.23%"
    assert "空表" not in doc.text


def test_group_labels_and_captions_inside_a_sheet():
    rows = [
        ["表1 人口", "", ""], ["区县", "", "人口"], ["渝中区", "", "58.9"],
        ["一、主城都市区", "", ""], ["万州区", "", "156"],  # a label: caption and header again
        ["表2 面积", "", ""], ["区县", "", "面积"], ["渝中区", "", "22"],  # a new table
    ]
    assert table_lines(rows) == [
        "表1 人口", "区县\t人口", "渝中区\t58.9",
        "一、主城都市区", "表1 人口", "区县\t人口", "万州区\t156",
        "表2 面积", "区县\t面积", "渝中区\t22",
    ]


def test_xlsx_text_survives_cleaning():
    text = "\n".join(table_lines([["指标", "数值"], ["普及率", "78.2%"], ["用户", "1,896.5"]]))
    assert clean_text(text).text.strip() == text


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (78.20000000000002, "General", "78.2"),
        (2495.0, "General", "2495"),
        (2495, "General", "2495"),
        (0.30000000000000004, "General", "0.3"),
        (0.782, "0.0%", "78.2%"),
        (0.78, "0.0%", "78.0%"),
        (0.7825, "0.0%", "78.25%"),  # Excel shows 78.3%: a digit is never dropped
        (1896.5, "#,##0.00", "1,896.50"),
        (1234567, "#,##0", "1,234,567"),
        (1e-05, "General", "0.00001"),
        (0.123456789012345678, "General", "0.123456789012346"),  # Excel's 15 digits
        (-0.0, "0.0", "0.0"),
    ],
)
def test_numbers_as_excel_shows_them_without_losing_digits(value, number_format, shown):
    assert format_number(value, number_format) == shown


def test_xlsx_row_limit_is_reported(tmp_path, monkeypatch):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["序号", "数值"])
    for i in range(10):
        book.active.append([f"第{i}行", i])
    path = tmp_path / "长表.xlsx"
    book.save(path)
    monkeypatch.setattr(sheets, "MAX_ROWS_PER_SHEET", 5)
    loaded = load_file(path)
    assert loaded.text.count("\n第") == 4  # the header and 4 data rows
    assert any("first 5 rows" in w for w in loaded.warnings)

    monkeypatch.setattr(sheets, "MAX_CELLS_PER_WORKBOOK", 7)
    loaded = load_file(path)
    assert any("stopped after 7 cells" in w for w in loaded.warnings)


def test_corrupt_xlsx_is_a_document_error(tmp_path):
    path = tmp_path / "坏表.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook" * 10)
    with pytest.raises(DocumentError, match=r"unreadable \.xlsx \(not a valid zip archive\)"):
        load_file(path)

    # A valid zip that is not a workbook (no workbook part): openpyxl's own error.
    broken = tmp_path / "缺部件.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(DocumentError, match=r"unreadable \.xlsx"):
        load_file(broken)


# ------------------------------------------------------------------------ csv


def test_gbk_csv_rows_are_chunks_with_header(tmp_path):
    path = tmp_path / "互联网.csv"
    text = "指标,数值,备注\n网民规模（万人）,2495,\n\n互联网普及率,78.2%,\"含\n移动端\"\n固定宽带用户（万户）,\"1,896.5\",\n"
    path.write_bytes(text.encode("gbk"))
    doc = read_document(path)

    assert doc.format == "csv"
    assert [c.text for c in _rows(doc)] == [
        "网民规模（万人）\t2495", "互联网普及率\t78.2%\t含移动端", "固定宽带用户（万户）\t1,896.5",
    ]
    for chunk in _rows(doc):
        assert chunk.quote.startswith("指标\t数值\t备注\n")
        assert chunk.section_path == "互联网"


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [("a,b,c\n1,2,3\n", ","), ("a\tb\n1\t2\n", "\t"), ("a;b;c\n1;2,5;3\n", ";"), ("单列\n一\n二\n", ",")],
)
def test_csv_delimiter(text, delimiter):
    assert sniff_delimiter(text) == delimiter


# ------------------------------------------------------------------------ pdf


def _table_pdf(path):
    """Page 1: a paragraph, the caption, a ruled table, a source line. One figure
    is drawn glyph by glyph, as distributed alignment does; one label wraps in
    its cell. Page 2: text only. STSong-Light is a CID font every PDF reader
    knows, so no font file is needed."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"

    class Spaced(Flowable):
        """Text drawn one glyph at a time, 9 pt apart."""

        def __init__(self, text):
            super().__init__()
            self.text, self.width, self.height = text, 9 * len(text), 10

        def draw(self):
            self.canv.setFont("Times-Roman", 10.5)
            for i, ch in enumerate(self.text):
                self.canv.drawString(9 * i, 0, ch)

    style = ParagraphStyle("zh", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    data = [["指标", "数值"], ["网民规模（万人）", "2495"], ["互联网普及率", "78.2%"],
            ["固定宽带用户（万户）", Spaced("1,896.5")], ["移动电话用户\n（万户）", "3,000.2"]]
    table = Table(data, colWidths=[200, 120])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.5, "black")]))
    story = [
        Paragraph("2024年重庆市互联网发展报告", style),
        Paragraph("全市互联网发展势头良好，网民规模持续扩大，数字基础设施建设不断完善。" * 3, style),
        Spacer(1, 8), Paragraph(CAPTION, style), table, Spacer(1, 8),
        Paragraph("数据来源：重庆市通信管理局。", style), PageBreak(),
        Paragraph("第二页正文，没有表格。全年新建5G基站2.1万个。" * 4, style),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def test_ruled_table_rows_keep_caption_header_and_whole_figures(tmp_path):
    path = tmp_path / "报告.pdf"
    _table_pdf(path)
    pages = ruled_tables(path)

    assert list(pages) == [0]  # page 2 has no table: pypdf's text stays
    lines = pages[0].splitlines()
    at = lines.index(CAPTION)
    assert lines[at + 1 : at + 6] == [
        "指标\t数值", "网民规模（万人）\t2495", "互联网普及率\t78.2%",
        "固定宽带用户（万户）\t1,896.5", "移动电话用户（万户）\t3,000.2",
    ]
    assert lines[0] == "2024年重庆市互联网发展报告"  # text around the table, in reading order
    assert lines[-1] == "数据来源：重庆市通信管理局。"
    assert ruled_tables(path, [1]) == {}


def test_pypdf_breaks_rows_apart_and_splits_a_glyph_drawn_figure(tmp_path):
    """What the table replaces: pypdf puts each cell on a line of its own, and a
    figure drawn glyph by glyph comes out split (pypdf 7.1: one glyph a line)."""
    from pypdf import PdfReader

    path = tmp_path / "报告.pdf"
    _table_pdf(path)
    text = PdfReader(str(path)).pages[0].extract_text()
    assert "网民规模（万人）\n2495" in text
    assert "1,896.5" not in text
    assert re.search(r"1\s+,\s+8\s+9\s+6\s+\.\s+5", text)


def test_pdf_table_rows_become_chunks(tmp_path):
    path = tmp_path / "报告.pdf"
    _table_pdf(path)
    doc = read_document(path)
    row = _row(doc, "固定宽带用户（万户）")
    assert row.text == "固定宽带用户（万户）\t1,896.5"
    assert row.quote.startswith(f"{CAPTION}\n指标\t数值\n")


def test_pages_without_drawn_tables_skip_layout_analysis(tmp_path):
    import pdfplumber

    path = tmp_path / "报告.pdf"
    _table_pdf(path)
    with pdfplumber.open(path) as pdf:
        assert drawn_edges(pdf.pages[0].page_obj) >= MIN_EDGES
        assert drawn_edges(pdf.pages[1].page_obj) < MIN_EDGES


def test_table_inside_a_form_xobject(tmp_path):
    """Some producers wrap a page's drawing in a form: the pre-check looks inside."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "form.pdf"
    c = canvas.Canvas(str(path))
    c.beginForm("page")
    c.setFont("STSong-Light", 10.5)
    c.drawString(100, 730, "表2 分区县人口")
    xs, ys = [100, 250, 350], [720, 700, 680, 660]
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for y, (a, b) in zip(ys, [("区县", "人口（万人）"), ("渝中区", "58.9"), ("万州区", "156")]):
        c.drawString(105, y - 14, a)
        c.drawString(255, y - 14, b)
    c.endForm()
    c.doForm("page")
    c.showPage()
    c.save()
    assert ruled_tables(path) == {0: "表2 分区县人口\n区县\t人口（万人）\n渝中区\t58.9\n万州区\t156"}


def test_damaged_pdf_gives_no_tables(tmp_path):
    path = tmp_path / "坏.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")
    assert ruled_tables(path) == {}
    assert ruled_tables(tmp_path / "missing.pdf") == {}
