"""Spreadsheets: Excel workbooks (.xlsx, openpyxl) and CSV files.

Each sheet becomes a `## <sheet name>` section under a `# <file name>` title, its
rows tab-separated lines with the header first, so the chunker makes each data
row a chunk that repeats the sheet (section path) and the header (context).
Figures are written as the user sees them in Excel, without binary float noise,
and never with a digit fewer than the cell holds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from collections import Counter
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..errors import DocumentError
from ..textnorm import CJK
from .archive import check_zip_bounds
from .base import LoadedText, LoadOptions

# Rows kept per sheet (and per CSV file). Each data row is one chunk; a PDF at
# the page limit (1,000 pages) gives some 10,000-20,000 chunks, so one sheet may
# give as many. Yearbook sheets run to a few thousand rows.
MAX_ROWS_PER_SHEET = 20_000
# Cells read per workbook, empty ones inside a row included (they cost parsing
# too). Reading runs at ~125,000 cells/s on one core (a 100,000 x 10 sheet, 1M
# cells, loaded in 8 s), so this bounds a workbook to ~8 s.
MAX_CELLS_PER_WORKBOOK = 1_000_000
# Excel stores doubles but shows at most 15 significant digits: more is binary
# noise (78.2 is stored as 78.20000000000000284...).
EXCEL_DIGITS = 15
# CSV delimiters tried, and the lines sampled to choose one.
CSV_DELIMITERS = (",", "\t", ";", "|")
_SNIFF_LINES = 50

# A table caption, as assistant/chunking/structure.py reads one.
CAPTION_RE = re.compile(r"^(?:表|Table)\s*\d+", re.I)
_CJK_EDGE_RE = re.compile(f"[{CJK}\u3000-\u303f\uff00-\uffef]")  # CJK, its punctuation, full-width forms
_QUOTED_RE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # literals and [colour]/[$-804] codes


# ----------------------------------------------------------------------- xlsx


def load_xlsx(path: Path, options: LoadOptions) -> LoadedText:
    # Zip-bomb bounds before openpyxl inflates anything, as for .docx.
    check_zip_bounds(path, options.max_bytes, kind=".xlsx")
    try:
        text, notes = _xlsx_text(path)
    except DocumentError:
        raise
    except Exception as exc:
        # A damaged workbook fails inside zipfile, lxml or openpyxl (KeyError for a
        # missing part, InvalidFileException, XMLSyntaxError, ...): whichever it is,
        # this file cannot be read, and indexing goes on with the others.
        raise DocumentError(path, f"unreadable .xlsx: {type(exc).__name__}: {exc}") from exc
    loaded = LoadedText.of(text, "xlsx")
    loaded.warnings.extend(notes)
    return loaded


def _xlsx_text(path: Path) -> tuple[str, list[str]]:
    import openpyxl

    with warnings.catch_warnings():
        # "Data Validation extension is not supported", "no default style": noise.
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    notes: list[str] = []
    blocks = [f"# {_cell_text(path.stem)}"]
    budget = [MAX_CELLS_PER_WORKBOOK]
    try:
        for sheet in book.worksheets:
            if budget[0] <= 0:
                if budget[0] == 0:  # below 0, the sheet that overran said so
                    notes.append(
                        f"stopped after {MAX_CELLS_PER_WORKBOOK:,} cells; sheet {sheet.title!r} "
                        f"and any after it are not indexed"
                    )
                break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = _sheet_rows(sheet, budget, notes)
            lines = table_lines(rows)
            if lines:
                blocks.append(f"## {_cell_text(sheet.title)}\n\n" + "\n".join(lines))
    finally:
        book.close()
    if len(blocks) == 1:
        return "", notes  # no sheet has a value: load_file says "no text content"
    return "\n\n".join(blocks), notes


def _sheet_rows(sheet, budget: list[int], notes: list[str]) -> list[list[str]]:
    """The sheet's non-empty rows as display strings, within the row and cell bounds."""
    # A sheet's declared dimension can be A1:XFD1048576 (formatting applied to
    # whole columns): openpyxl would pad every row to 16,384 cells and yield a
    # million empty rows. Without it, each row is as long as its last cell.
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    for number, row in enumerate(sheet.iter_rows(), 1):
        budget[0] -= len(row)
        if budget[0] < 0:
            notes.append(
                f"stopped after {MAX_CELLS_PER_WORKBOOK:,} cells, at row {number} of sheet "
                f"{sheet.title!r}; the rest of the workbook is not indexed"
            )
            break
        cells = [_display(cell.value, cell.number_format) for cell in row]
        if any(cells):
            if len(rows) == MAX_ROWS_PER_SHEET:
                notes.append(
                    f"sheet {sheet.title!r}: only the first {MAX_ROWS_PER_SHEET:,} rows are indexed"
                )
                break
            rows.append(cells)
    return rows


def _display(value, number_format: str | None) -> str:
    """A cell's value as Excel shows it, as far as that keeps every digit."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format_number(value, number_format or "General")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _date_text(value, number_format or "")
    if isinstance(value, dt.timedelta):
        return str(value)
    return _cell_text(str(value))


def format_number(value: int | float, number_format: str = "General") -> str:
    """`78.20000000000001` -> `78.2`; 0.782 as `0.0%` -> `78.2%`; 1896.5 as
    `#,##0.00` -> `1,896.50`. The format's decimal places and thousands
    separators are applied, but never to round a digit away: 0.7825 as `0.0%`
    is `78.25%`, not Excel's `78.3%` (an answer must quote the cell exactly)."""
    percent, places, grouping = _number_style(number_format)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        short = repr(value)
        if not (percent or places or grouping) and len(short) <= EXCEL_DIGITS and "e" not in short:
            # The common case (1.0 us a cell against 1.7 us by Decimal): repr is the
            # shortest exact form; only its ".0" goes (Excel shows 2495.0 as 2495).
            return short[:-2] if short.endswith(".0") else short
        exact = Decimal(format(value, f".{EXCEL_DIGITS}g"))
    else:
        if not (percent or places or grouping):
            return str(value)
        exact = Decimal(value)
    if percent:
        exact = exact.scaleb(2)
    places = max(places, -exact.normalize().as_tuple().exponent, 0)
    text = format(exact, f"{grouping}.{places}f")
    if text.startswith("-") and Decimal(text) == 0:
        text = text[1:]  # -0.0 shows as 0.0
    return text + ("%" if percent else "")


@lru_cache(maxsize=256)
def _number_style(number_format: str) -> tuple[bool, int, str]:
    """(percent, decimal places, grouping) of a format's positive section:
    `0.0%` -> (True, 1, ""), `#,##0.00` -> (False, 2, ",")."""
    section = _QUOTED_RE.sub("", number_format.split(";")[0])
    m = re.search(r"\.([0#?]+)", section)
    grouping = "," if re.search(r"[#0?],[#0?]", section) else ""
    return "%" in section, len(m.group(1)) if m else 0, grouping


def _date_text(value, number_format: str) -> str:
    """ISO 8601: `2024-03-15`, `2024-03-15 08:30`, `08:30:15`; a month-only format
    (`yyyy"年"m"月"`) gives `2024-03`, not a day the cell never showed."""
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.datetime) and value.time() != dt.time(0):
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    day = value.date() if isinstance(value, dt.datetime) else value
    codes = _QUOTED_RE.sub("", number_format).lower()
    if "y" in codes and "m" in codes and "d" not in codes:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _cell_text(text: str) -> str:
    """One line: tabs and line breaks inside a cell would split its row."""
    return join_lines(text.splitlines())


def join_lines(lines: Iterable[str]) -> str:
    """Lines of one cell as one line, other whitespace runs made single spaces.
    A break next to a CJK character is dropped (`固定宽带用户\\n（万户）` ->
    `固定宽带用户（万户）`): Chinese has no spaces, and the cleaner keeps spaces
    between CJK characters on short lines, where it takes them for intended."""
    out = ""
    for line in lines:
        line = " ".join(line.split())
        if not line:
            continue
        if out and not (_CJK_EDGE_RE.match(out[-1]) or _CJK_EDGE_RE.match(line[0])):
            out += " "
        out += line
    return out


# ------------------------------------------------------------------------ csv


def load_csv(path: Path, options: LoadOptions) -> LoadedText:
    from .loaders import decode_bytes

    text, encoding = decode_bytes(path.read_bytes(), path)
    notes: list[str] = []
    try:
        rows = _csv_rows(text, notes)
    except csv.Error as exc:
        raise DocumentError(path, f"unreadable CSV: {exc}") from exc
    lines = table_lines(rows)
    text = f"## {_cell_text(path.stem)}\n\n" + "\n".join(lines) if lines else ""
    loaded = LoadedText.of(text, "csv", encoding)
    loaded.warnings.extend(notes)
    return loaded


def _csv_rows(text: str, notes: list[str]) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    rows: list[list[str]] = []
    for row in reader:
        cells = [_cell_text(c) for c in row]
        if not any(cells):
            continue
        if len(rows) == MAX_ROWS_PER_SHEET:
            notes.append(f"only the first {MAX_ROWS_PER_SHEET:,} rows are indexed")
            break
        rows.append(cells)
    return rows


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of
    fields most often; a comma when none does. (csv.Sniffer guesses letters and
    quote characters on short Chinese samples.)"""
    sample = [line for line in text.splitlines()[: _SNIFF_LINES * 2] if line.strip()][:_SNIFF_LINES]
    best, best_score = ",", (0.0, 0)
    for delimiter in CSV_DELIMITERS:
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        score = (count / len(widths), width)
        if width > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


# ---------------------------------------------------------------------- tables


def table_lines(rows: Iterable[list[str]]) -> list[str]:
    """Rows of cell strings as the chunker's table lines: empty rows and columns
    dropped, cells tab-separated, the first row of two or more filled cells the
    header. A row with one filled cell has no tab, so it reads as text: above
    the header it is a title or the caption; inside the table (a group label such
    as `一、农业`) it would end the table and make the next data row a header, so
    caption and header are repeated after it, as PDFs repeat them after a page
    break. A caption-like row (`表2 …`) starts a new table instead."""
    rows = [r for r in rows if any(r)]
    width = max((len(r) for r in rows), default=0)
    keep = [c for c in range(width) if any(c < len(r) and r[c] for r in rows)]
    lines: list[str] = []
    header: list[str] = []  # caption (if any) + header row of the current table
    interrupted = False
    for row in rows:
        cells = [row[c] if c < len(row) else "" for c in keep]
        filled = [c for c in cells if c]
        if len(filled) == 1:
            lines.append(filled[0])
            interrupted = bool(header)
            if CAPTION_RE.match(filled[0]):
                header = []  # a new table follows, with its own header
            continue
        line = "\t".join(cells)
        if not header:
            caption = lines[-1] if lines and CAPTION_RE.match(lines[-1]) else None
            header = [caption, line] if caption else [line]
        elif interrupted:
            lines.extend(header)
        lines.append(line)
        interrupted = False
    return lines
