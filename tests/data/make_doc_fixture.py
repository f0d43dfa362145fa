"""Regenerate report_2024.doc, the Word 97 fixture of tests/test_office_formats.py.

Not run by the tests and not needed by the product: it writes a .docx with
python-docx, then has LibreOffice save it as Word 97 ("MS Word 97" filter).
Needs `apt-get install libreoffice-writer-nogui` (7.4 on Debian 12 was used).

    .venv/bin/python tests/data/make_doc_fixture.py
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
TARGET = HERE / "report_2024.doc"


def write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("重庆市互联网发展报告（2024）", level=0)
    d.add_heading("一、总体情况", level=1)
    d.add_paragraph("2024年重庆网民规模达2495万人，互联网普及率78.2%。")
    d.add_paragraph("全年电信业务收入达到312.6亿元，同比增长4.1%。")
    d.add_heading("二、基础设施", level=1)
    d.add_paragraph("全市累计建成5G基站10.3万个，每万人拥有5G基站32.1个。")
    d.add_paragraph("表1 主要指标")
    rows = [("指标", "2023年", "2024年"), ("网民规模（万人）", "2398", "2495"), ("互联网普及率", "75.1%", "78.2%")]
    table = d.add_table(rows=len(rows), cols=3)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("数据来源：重庆市通信管理局。")
    d.save(str(path))


def main() -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("needs LibreOffice: apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / (TARGET.stem + ".docx")
        write_docx(source)
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
             "--convert-to", "doc:MS Word 97", "--outdir", tmp, str(source)],
            check=True, timeout=120,
        )
        shutil.copyfile(Path(tmp) / TARGET.name, TARGET)
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
