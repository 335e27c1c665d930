"""Canaries end to end: personal data and markup planted in raw exports never leak or run.

A copy of ``data/raw`` gets canaries in a few household and commune exports (CSV with BOM, Kobo
headers, XLSX with title rows) and in the pilot registry: respondent names, phone numbers in
several formats, 12-digit citizen IDs, e-mail addresses, comments carrying script and markup,
and a commune name with HTML in it. After cleaning and building two provinces, no personal
canary (nor a comment, which is never read) appears in ``data/processed``, the executed
notebooks, the build logs, the HTML or the Excel workbooks; markup that does reach a page is
escaped text, never a tag or an attribute. The browser test opens a page built from the same
canary data and checks that no planted script ran (``window.__pwned``).
"""

from __future__ import annotations

import csv
import html.parser
import io
import json
import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis import build

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
GENERATED_AT = "2026-01-01T00:00:00+00:00"

NAMES = ["Trịnh Canaryđức Anh", "Lương Thị Kanaryhoa", "Đào Văn Zqcanary"]
#: (as planted, the digits every format shares) — the digits are what is searched for
PHONES = [
    ("0912 876 543", "912876543"),
    ("+84 912 876 544", "912876544"),
    ("0912.876.545", "912876545"),
    ("(+84) 912-876-546", "912876546"),
    ("0912876547", "912876547"),
    ("84912876548", "912876548"),
]
CITIZEN_IDS = ["031298765401", "079187654302", "001276543203"]
EMAILS = ["canary.one@example.org", "kanary+pw@example.vn", "zq.canary@mail.example.com"]
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
JS_URL = "javascript:alert(1)"
#: free-text comments: never read by cleaning, so none of them may appear anywhere
COMMENTS = [f"Ý kiến {SCRIPT}", f"Rất tốt {IMG}", f"Xem {JS_URL}", "Gọi em 0912 876 549 nhé"]
COMMENT_DIGITS = "912876549"
#: markup in fields that are read (a commune name, the registry's programme and source)
COMMUNE_HTML = "<b onmouseover=alert(1)>Cẩm La</b>"
PROGRAMME_HTML = f"{IMG}Xã, phường chuyển đổi số"

ROLES = {
    "name": {"Họ tên", "Họ và tên người trả lời", "thong_tin_chung/ho_ten", "Người báo cáo",
             "Người điền phiếu"},
    "phone": {"sdt", "Số điện thoại", "thong_tin_chung/sdt", "so_dien_thoai",
              "Số điện thoại liên hệ"},
    "id": {"cccd", "Số CCCD", "thong_tin_chung/cccd"},
    "email": {"E-mail", "Thư điện tử", "thong_tin_chung/email"},
    "comment": {"Ý kiến khác", "Ý kiến, kiến nghị", "y_kien/y_kien", "ghi_chu", "Ghi chú"},
}  # fmt: skip
#: the files that get canaries: CSV with BOM, Kobo CSV, XLSX with title rows; commune, household
PLANTED_FILES = [
    "household/2024/quang-ninh.csv",
    "commune/2024/quang-ninh.csv",
    "household/2023/quang-ninh.csv",
    "household/2023/binh-dinh.csv",
    "household/2024/ha-noi.xlsx",
    "commune/2024/ha-noi.xlsx",
]


@dataclass
class Planted:
    """What was planted where: (file, column, value) per cell."""

    cells: list[tuple[str, str, str]] = field(default_factory=list)

    def personal(self) -> dict[str, re.Pattern]:
        """Every personal canary → what finds it in the outputs (a phone number's digits in
        any format: with or without spaces, dots, dashes, brackets, the country code)."""
        found = {v: re.compile(re.escape(v)) for v in NAMES + CITIZEN_IDS + EMAILS + COMMENTS}
        for planted, digits in [*PHONES, (COMMENTS[-1] + " (digits)", COMMENT_DIGITS)]:
            found[planted] = re.compile(r"\D{0,3}".join(digits))
        return found


def _values(role: str, i: int) -> str:
    pool = {"name": NAMES, "phone": [p for p, _ in PHONES], "id": CITIZEN_IDS,
            "email": EMAILS, "comment": COMMENTS}[role]  # fmt: skip
    return pool[i % len(pool)]


def _plant_rows(header: list[str], rows: list[list], file: str, planted: Planted, n: int) -> None:
    for role, names in ROLES.items():
        for col, name in enumerate(header):
            if name not in names:
                continue
            for i, row in enumerate(rows[:n]):
                value = _values(role, i + len(planted.cells))
                row[col] = value
                planted.cells.append((file, name, value))


def _plant_csv(path: Path, file: str, planted: Planted, n: int = 6) -> None:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    _plant_rows(header, body, file, planted, n)
    if file == "commune/2024/quang-ninh.csv":  # a commune name with HTML in it (Cẩm La's row)
        col = header.index("Đơn vị")
        row = next(r for r in body if r[col] == "Cẩm La")
        row[col] = COMMUNE_HTML
        planted.cells.append((file, "Đơn vị", COMMUNE_HTML))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))


def _plant_xlsx(path: Path, file: str, planted: Planted, n: int = 6) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    at = next(r for r in range(1, 10) if ws.cell(r, 1).value == "STT")
    header = [c.value for c in ws[at]]
    rows = [[c.value for c in ws[r]] for r in range(at + 1, at + 1 + n)]
    _plant_rows(header, rows, file, planted, n)
    for r, row in enumerate(rows, start=at + 1):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c).value = value
    wb.save(path)


def _plant_registry(path: Path, planted: Planted) -> None:
    raw = path.read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header = rows[0]
    row = next(r for r in rows if "Cẩm La" in r[2])
    row[header.index("Mô hình thí điểm")] = PROGRAMME_HTML
    row[header.index("Nguồn")] = JS_URL
    # a pilot commune whose name (with markup) matches no official unit: the brief lists it as
    # written, so this markup does reach a page
    rows.append([row[0], row[1], COMMUNE_HTML, row[3], "Thôn thông minh", "synthetic"])
    planted.cells += [("pilots/pilot_registry.csv", "Mô hình thí điểm", PROGRAMME_HTML),
                      ("pilots/pilot_registry.csv", "Nguồn", JS_URL),
                      ("pilots/pilot_registry.csv", "Xã/Phường/Thị trấn", COMMUNE_HTML)]  # fmt: skip
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def plant_canaries(raw: Path) -> Planted:
    """Copy of data/raw at ``raw`` with canaries planted; what was planted where."""
    shutil.copytree(RAW, raw)
    planted = Planted()
    for file in PLANTED_FILES:
        (_plant_xlsx if file.endswith(".xlsx") else _plant_csv)(raw / file, file, planted)
    _plant_registry(raw / "pilots" / "pilot_registry.csv", planted)
    return planted


# ----------------------------------------------------------------------------- reading outputs


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in _strings(k) + _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return [str(obj)]


def texts(*folders: Path) -> dict[Path, str]:
    """Every output file under ``folders`` as searchable text (parquet and XLSX cells, JSON and
    notebook strings unescaped, everything else as UTF-8)."""
    out = {}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.suffix == ".parquet":
                out[path] = pd.read_parquet(path).astype(str).to_csv(index=False)
            elif path.suffix == ".xlsx":
                wb = openpyxl.load_workbook(path, read_only=True)
                out[path] = "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True)
                                      for v in row if v is not None)  # fmt: skip
            elif path.suffix in (".json", ".ipynb"):
                out[path] = "\n".join(_strings(json.loads(path.read_text("utf-8"))))
            else:
                out[path] = path.read_text("utf-8", errors="replace")
    return out


class _Tags(html.parser.HTMLParser):
    """Every element and attribute a browser would build from a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def active_markup(page: str) -> list[str]:
    """Scripts, event-handler attributes and javascript: URLs in an HTML page."""
    parser = _Tags()
    parser.feed(page)
    bad = [f"<{tag}>" for tag, _ in parser.tags if tag in ("script", "iframe", "object", "embed")]
    for tag, attrs in parser.tags:
        for name, value in attrs:
            if name.startswith("on"):
                bad.append(f"<{tag} {name}=...>")
            if value and re.sub(r"\s", "", value).lower().startswith(("javascript:", "vbscript:")):
                bad.append(f"<{tag} {name}={value}>")
    if re.search(r"<\s*script", page, re.I):
        bad.append("<script")
    return bad


# ----------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def canary_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("canaries")
    planted = plant_canaries(base / "raw")
    processed, out = base / "processed", base / "reports"
    opts = build.Options(raw=base / "raw", processed=processed, out=out, jobs=2,
                         provinces=("Quảng Ninh", "Hà Nội"), units=("old",), langs=("vi",),
                         generated_at=GENERATED_AT)  # fmt: skip
    logger = logging.getLogger("analysis")
    level = logger.level
    logger.setLevel(logging.DEBUG)  # everything into reports/_logs
    try:
        outcomes = build.run(opts)  # cleans the raw copy first: that is logged too
    finally:
        logger.setLevel(level)
    return planted, processed, out, outcomes


def test_canaries_were_planted(canary_build):
    planted, *_ = canary_build
    files = {f for f, _, _ in planted.cells}
    assert set(PLANTED_FILES) <= files
    roles = {v for _, _, v in planted.cells}
    for pool in (NAMES, CITIZEN_IDS, EMAILS, COMMENTS, [p for p, _ in PHONES]):
        assert set(pool) <= roles, pool
    assert COMMUNE_HTML in roles


def test_briefs_built_from_canary_data(canary_build):
    _, _, out, outcomes = canary_build
    built = {o.target.slug for o in outcomes if o.status == "built"}
    assert {"quang-ninh", "ha-noi"} <= built, [(o.target.stem, o.reason) for o in outcomes]


def test_no_personal_canary_anywhere(canary_build):
    planted, processed, out, _ = canary_build
    documents = texts(processed, out)
    kinds = {p.suffix for p in documents}
    assert {".parquet", ".csv", ".html", ".xlsx", ".ipynb", ".log", ".json"} <= kinds
    found = [(name, str(path)) for path, text in documents.items()
             for name, needle in planted.personal().items() if needle.search(text)]  # fmt: skip
    assert found == []


def test_markup_reaching_a_page_is_escaped_text(canary_build):
    _, processed, out, _ = canary_build
    # the commune name and the registry's programme with markup are read (they are not
    # personal) and kept as text in the processed data ...
    communes = pd.read_parquet(processed / "communes.parquet")
    assert (communes["commune"] == COMMUNE_HTML).any()
    pilots = pd.read_parquet(processed / "pilots.parquet")
    assert (pilots["programme"] == PROGRAMME_HTML).any() and (pilots["source"] == JS_URL).any()
    # ... and wherever they reach a page, a browser builds no tag or handler from them
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 3  # two briefs and the index
    for page in pages:
        text = page.read_text("utf-8")
        assert active_markup(text) == [], page
        for raw in (SCRIPT, IMG, COMMUNE_HTML, PROGRAMME_HTML, JS_URL):
            assert raw not in text, (page, raw)
    # the executed notebooks' HTML outputs (what JupyterLab would render) too
    for path in sorted((out / "_executed").rglob("*.ipynb")):
        nb = json.loads(path.read_text("utf-8"))
        for cell in nb["cells"]:
            for output in cell.get("outputs", []):
                markup = output.get("data", {}).get("text/html")
                if markup:
                    assert active_markup("".join(markup)) == [], path


def test_logs_were_written(canary_build):
    _, _, out, _ = canary_build
    (log,) = (out / "_logs").glob("*.log")
    text = log.read_text("utf-8")
    assert "cleaning" in text and "built" in text


def test_search_finds_a_canary_in_every_kind_of_output(tmp_path):
    """The leak search reads parquet, Excel, notebooks (JSON-escaped text) and plain text."""
    name, phone, email, cid = NAMES[0], PHONES[1][0], EMAILS[0], CITIZEN_IDS[0]
    pd.DataFrame({"x": [name]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"x": [phone]}).to_excel(tmp_path / "b.xlsx", index=False)
    (tmp_path / "c.ipynb").write_text(json.dumps({"cells": [{"source": email}]}), "utf-8")
    (tmp_path / "d.log").write_text(f"row {cid}", "utf-8")
    (tmp_path / "e.json").write_text(json.dumps({"k": IMG}), "utf-8")
    documents = texts(tmp_path)
    needles = Planted().personal()
    for canary in (name, phone, email, cid):
        assert sum(bool(needles[canary].search(t)) for t in documents.values()) == 1, canary
    assert IMG in documents[tmp_path / "e.json"]
    for other_format in ("0912876544", "+84-912-876-544", "(0)912.876.544"):
        assert needles[phone].search(f"call {other_format}")
    assert not needles[phone].search("912 876 545")


def test_active_markup_detector_sees_what_it_must():
    assert active_markup(f"<p>{SCRIPT}</p>")
    assert active_markup(f"<p>{IMG}</p>")
    assert active_markup(f'<a href="{JS_URL}">x</a>')
    assert active_markup(f"<td>{COMMUNE_HTML}</td>")
    from analysis.render import esc

    for s in (SCRIPT, IMG, COMMUNE_HTML, PROGRAMME_HTML):
        assert active_markup(f"<td>{esc(s)}</td>") == []
