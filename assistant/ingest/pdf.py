"""PDF pages to text: pypdf's text layer; pdfplumber for pages with ruled tables
(rows kept whole, numbers unsplit); OCR for pages that are pictures of text.

A page is OCR'd when its text layer is nearly empty for its size and it holds an
image (a scan, a photograph): a blank page or a short chapter title is not."""

from __future__ import annotations

from pathlib import Path

from ..errors import DocumentError
from .base import LoadedText, LoadOptions, Part

# Text-layer characters below which a page with an image counts as scanned,
# per A4 page (595 x 842 pt): a scan with an OCR'd page number or a stamp has a
# handful; a real page of text has hundreds (the seed report averages ~900).
MIN_TEXT_CHARS_PER_A4 = 32
_A4_POINTS = 595 * 842


def load_pdf(path: Path, options: LoadOptions) -> LoadedText:
    texts = _text_layer(path, options)
    loaded = LoadedText([Part(t) for t in texts], "pdf")
    _replace_ruled_tables(path, loaded)
    scanned = _scanned_pages(path, texts) if options.ocr else []
    if scanned:
        _ocr_pages(path, scanned, loaded, options)
    if not loaded.text.strip():
        hint = "scanned pages and OCR is off (setting ocr = false)" if not options.ocr else "no text, even by OCR"
        raise DocumentError(path, f"PDF has no extractable text ({hint})")
    return loaded


def _text_layer(path: Path, options: LoadOptions) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError(path, "encrypted PDF; decrypt it first")
        n = len(reader.pages)
        if n > options.max_pages:
            raise DocumentError(path, f"PDF has {n} pages (limit {options.max_pages}, setting max_pages); split it")
        return [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(path, f"unreadable PDF: {exc}") from exc
    except Exception as exc:
        # Damaged PDFs also fail in pypdf with NotImplementedError (an unknown
        # stream filter), TypeError, IndexError, zlib.error, RecursionError, ...:
        # found by fuzzing. The file cannot be read; the other files still can.
        raise DocumentError(path, f"unreadable PDF: {type(exc).__name__}: {exc}") from exc


def _replace_ruled_tables(path: Path, loaded: LoadedText) -> None:
    """Pages with ruled tables, as pdfplumber reads them: each row on one line,
    cells tab-separated. pypdf interleaves cells and can split a figure."""
    from .pdf_tables import ruled_tables

    for i, text in ruled_tables(path).items():
        if 0 <= i < len(loaded.parts) and text.strip():
            loaded.parts[i] = Part(text)


def _scanned_pages(path: Path, texts: list[str]) -> list[int]:
    """Indexes of the pages to OCR: little text for their size, and an image."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pages = []
    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception:
        return []  # pypdf read it; without pdfium it is text-only
    try:
        for i, text in enumerate(texts):
            if i >= len(pdf):
                break
            page = pdf[i]
            width, height = page.get_size()
            needed = MIN_TEXT_CHARS_PER_A4 * max(width * height, 1) / _A4_POINTS
            if len("".join(text.split())) >= needed:
                continue
            if next(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)), None) is not None:
                pages.append(i)
    finally:
        pdf.close()
    return pages


def _ocr_pages(path: Path, pages: list[int], loaded: LoadedText, options: LoadOptions) -> None:
    import pypdfium2 as pdfium

    from .ocr import recognise, report_page

    todo = pages[: options.ocr_max_pages]
    if len(pages) > len(todo):
        loaded.warnings.append(
            f"OCR stopped at {len(todo)} of {len(pages)} scanned pages (setting ocr_max_pages); "
            f"pages from {pages[len(todo)] + 1} on are not indexed"
        )
    pdf = pdfium.PdfDocument(str(path))
    try:
        for n, i in enumerate(todo, 1):
            page = pdf[i]
            image = page.render(scale=_scale(page.get_size(), options.max_pixels)).to_pil()
            read = recognise(image, options)
            if read.text.strip():
                loaded.parts[i] = Part(read.text, ocr=True, suspect=read.suspect)
            report_page(path, n, len(todo))
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(path, f"cannot render PDF page for OCR: {type(exc).__name__}: {exc}") from exc
    finally:
        pdf.close()


def _scale(size: tuple[float, float], max_pixels: int) -> float:
    """OCR_DPI, lowered for a page so large that it would pass the pixel limit."""
    from .ocr import OCR_DPI

    width, height = size
    scale = OCR_DPI / 72
    area = max(width * height, 1) * scale * scale
    if area > max_pixels:
        scale *= (max_pixels / area) ** 0.5
    return scale
