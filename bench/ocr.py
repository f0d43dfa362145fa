"""OCR benchmark: pages per minute and accuracy on scanned pages of real report text.

    .venv/bin/python bench/ocr.py --pages 8     # Markdown on stdout, bench/results/ocr.json

Pages are drawn from the seed reports' cleaned text (the Sichuan report, 004)
with Pillow and WenQuanYi Zen Hei at 200 dpi A4, 22 lines of 36 characters
(a dense page), one PNG per page. Measured:
* character accuracy: difflib ratio between the drawn and the OCR'd text
  (spaces and line breaks removed, NFKC: `,` and `，` are the same character);
* figures exact: of the digit runs drawn (`20.7`, `825.8`, `78.2%`), the share
  found verbatim in the OCR'd text;
* pages per minute of `assistant index` on those pages, with 1 and 2 worker processes (a cold OCR cache each time), and again
  with a warm cache (re-indexing after a rebuild)."""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Config, build_index  # noqa: E402
from assistant.documents import LoadOptions, read_document  # noqa: E402
from tests.scans import render_page  # noqa: E402

LINES_PER_PAGE = 22  # what fits between the margins of tests/scans.render_page
CHARS_PER_LINE = 36
_FIGURE_RE = re.compile(r"\d+(?:\.\d+)?%?")


def page_lines(pages: int) -> list[list[str]]:
    source = next((ROOT / "seeds").glob("004_*.txt"))
    text = "".join(read_document(source).text.split())
    lines = [text[i:i + CHARS_PER_LINE] for i in range(0, len(text), CHARS_PER_LINE)]
    return [lines[p * LINES_PER_PAGE:(p + 1) * LINES_PER_PAGE] for p in range(pages)]


def accuracy(pages: list[list[str]], folder: Path) -> dict:
    ratios, drawn, exact = [], 0, 0
    for i, lines in enumerate(pages):
        doc = read_document(folder / f"page{i:03d}.png", LoadOptions(ocr_cache=None))
        read = unicodedata.normalize("NFKC", "".join(doc.text.split()))
        truth = unicodedata.normalize("NFKC", "".join(lines))
        ratios.append(difflib.SequenceMatcher(None, truth, read, autojunk=False).ratio())
        figures = _FIGURE_RE.findall(truth)
        drawn += len(figures)
        exact += sum(1 for f in figures if f in read)
    return {"char_accuracy": round(sum(ratios) / len(ratios), 4), "figures": drawn,
            "figures_exact": exact, "figures_exact_share": round(exact / max(drawn, 1), 4)}


def throughput(folder: Path, workers: int, work: Path) -> dict:
    cache = work / f"cache-{workers}"
    config = Config(corpus_dir=str(folder), index_root=str(work / "index"), embedder="none",
                    index_workers=workers, ocr_cache_dir=str(cache))
    n = len(list(folder.glob("*.png")))
    started = time.perf_counter()
    report = build_index([folder], work / f"idx-{workers}", config, embedder=None, rebuild=True)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    build_index([folder], work / f"idx-{workers}", config, embedder=None, rebuild=True)
    warm = time.perf_counter() - started
    return {"workers": report.workers, "pages": n, "seconds": round(cold, 1),
            "pages_per_minute": round(60 * n / cold, 1), "warm_cache_seconds": round(warm, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "ocr.json"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    try:
        pages = page_lines(args.pages)
        folder = work / "pages"
        folder.mkdir()
        for i, lines in enumerate(pages):
            render_page(lines, font_px=40).save(folder / f"page{i:03d}.png")
        result = {"pages": len(pages), "lines_per_page": LINES_PER_PAGE, "chars_per_line": CHARS_PER_LINE,
                  **accuracy(pages, folder),
                  "throughput": [throughput(folder, w, work) for w in (1, 2)]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"| pages | char accuracy | figures exact | workers | pages/min | re-index (cached) |\n|---|---|---|---|---|---|")
    for t in result["throughput"]:
        print(f"| {t['pages']} | {result['char_accuracy']:.3f} | {result['figures_exact']}/{result['figures']} "
              f"| {t['workers']} | {t['pages_per_minute']} | {t['warm_cache_seconds']} s |")


if __name__ == "__main__":
    main()
