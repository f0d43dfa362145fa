"""Progress bars for an index build on the terminal (`assistant index`, and
`assistant serve` preparing the index before the UI starts)."""

from __future__ import annotations

import sys
from pathlib import Path


class BuildProgress:
    """Progress bars on stderr (a terminal only): files read, pages OCR'd (from
    the worker processes, on a bar of their own), then chunks embedded, with
    tqdm's rate and ETA."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.stage = None
        self.ocr_bar = None
        self.ocr_pages: dict[str, tuple[int, int]] = {}  # file -> (done, total)

    def __call__(self, name: str, n: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if name.startswith("ocr:"):
            self._ocr(tqdm, name[4:], n, total)
            return
        stage = "embedding" if name == "embedding" else "indexing"
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, unit="chunk" if stage == "embedding" else "file",
                            file=sys.stderr, leave=stage == "embedding", desc=stage)
        self.bar.total = total
        if stage == "indexing":
            self.bar.set_postfix_str(Path(name).name[:40])
        self.bar.update(n - self.bar.n)

    def _ocr(self, tqdm, file: str, n: int, total: int) -> None:
        if self.ocr_bar is None:
            self.ocr_bar = tqdm(total=0, unit="page", file=sys.stderr, desc="OCR", position=1, leave=True)
        self.ocr_pages[file] = (n, total)
        self.ocr_bar.total = sum(t for _, t in self.ocr_pages.values())
        self.ocr_bar.set_postfix_str(Path(file).name[:40])
        self.ocr_bar.update(sum(d for d, _ in self.ocr_pages.values()) - self.ocr_bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.ocr_bar is not None:  # OCR is over once embedding starts
            self.ocr_bar.close()
            self.ocr_bar = None
