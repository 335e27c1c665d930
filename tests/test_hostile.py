"""Hostile and broken raw exports: each gives a clear RawDataError or a logged correction.

The corpus is generated here (no binary files in the repository): every case is one raw file
added to a small valid set of exports. A case either stops cleaning with a :class:`RawDataError`
naming the file (and row and column where there is one) and what was expected, or cleaning
succeeds and the cleaning log records what was done (the rule). In both cases the raw files are
byte-identical afterwards, nothing is printed, and a failed run leaves no processed output; the
command line gives exit status 2 and one line without a traceback for every error case.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis import clean, provenance
from analysis.exceptions import RawDataError

HEADER = (
    "Tỉnh/Thành phố,Quận/Huyện,Xã/Phường/Thị trấn,Năm khảo sát,Thời điểm gửi phiếu,"
    "Tỷ lệ hồ sơ nộp trực tuyến,Số thôn,Số điểm wifi công cộng miễn phí,Người điền phiếu,"
    "Số điện thoại liên hệ"
)
COMMUNE = (
    HEADER + "\n"
    'Quảng Ninh,Quảng Yên,Phường Yên Giang,2023,01/12/2023 09:00,"93,7",8,3,Nguyễn Văn An,0912 345 678\n'
    'Quảng Ninh,Quảng Yên,Xã Cẩm La,2023,02/12/2023 10:00,"46,5",6,1,Trần Thị Bình,0987654321\n'
)
HOUSEHOLD = (
    "tinh,huyen,xa,nam,_submission_time,ho_ten,sdt,cccd,y_kien,trong_so,co_vneid,hai_long\n"
    "Quảng Ninh,Quảng Yên,Yên Giang,2023,2023-12-01T08:00:00+07:00,Phạm Văn Dũng,0912000111,001203004005,Tốt,120,Có,5\n"
    "Quảng Ninh,Quảng Yên,Cẩm La,2023,2023-12-01T09:00:00+07:00,Hoàng Thị Em,0912000222,002203004006,,95,Không,3\n"
)
PILOTS = (
    "Tỉnh,Huyện,Xã,Ngày bắt đầu,Mô hình\n"
    "Quảng Ninh,Quảng Yên,Phường Yên Giang,15/10/2022,Xã phường chuyển đổi số\n"
)
BASE = {
    "commune/qn-2023.csv": COMMUNE.encode("utf-8-sig"),
    "household/qn-2023.csv": HOUSEHOLD.encode(),
    "pilots.csv": PILOTS.encode(),
}
#: Commune rows of wave 2022, for cases that add a commune export.
ROW_A = (
    'Quảng Ninh,Quảng Yên,Phường Yên Giang,2022,01/12/2022 09:00,"90,1",8,3,Lê Văn C,0913 111 222'
)
ROW_B = 'Quảng Ninh,Quảng Yên,Xã Cẩm La,2022,02/12/2022 10:00,"40,5",6,1,Lê Thị D,0913 333 444'
NEXT_YEAR = date.today().year + 1


def commune_csv(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def xlsx(rows: list[list], tweak: Callable | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if tweak:
        tweak(sheet)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def valid_xlsx() -> bytes:
    return xlsx([HEADER.split(","), ROW_B.replace('"40,5"', "40.5").split(",")])


def zip_bomb() -> bytes:
    buf = io.BytesIO(valid_xlsx())
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/padding.bin", "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(210):
                member.write(block)
    return buf.getvalue()


def formulas_and_errors() -> bytes:
    def tweak(sheet):
        sheet["F2"] = "#DIV/0!"  # an error cell, as Excel caches a failed formula
        sheet["F3"] = "=1/0"  # a formula without a cached value (never computed)
        sheet["G3"] = "#N/A"
        sheet["C3"].value = '=HYPERLINK("http://evil.example","Cẩm La")'
        sheet["C3"].data_type = "s"  # text that looks like a formula, not a formula

    return xlsx(
        [HEADER.split(","), ROW_A.replace('"90,1"', "90.1").split(","), ROW_B.split(",")],
        tweak,
    )


def bool_in_number_column() -> bytes:
    row = ROW_B.replace('"40,5"', "0").split(",")
    row[5] = True
    return xlsx([HEADER.split(","), row])


def lossy() -> bytes:
    return (
        "T?nh/Th?nh ph?,Qu?n/Huy?n,X?/Ph??ng/Th? tr?n,N?m kh?o s?t\n"
        "Qu?ng Ninh,Qu?ng Y?n,X? C?m La,2022\n"
    ).encode("ascii")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@dataclass(frozen=True)
class Case:
    """One hostile file: where it goes, its bytes, and the outcome expected.

    ``error``: fragments of the RawDataError message (its ``file`` is always ``path``);
    ``row``/``column``: where the error points (None: not checked / not meaningful).
    ``rule``: the cleaning-log rule a successful run must record for this file.
    """

    name: str
    path: str
    build: Callable[[], bytes]
    error: tuple[str, ...] = ()
    row: int | None = None
    column: str | None = None
    rule: str | None = None
    check: Callable[[clean.CleanResult], None] | None = field(default=None, compare=False)


def _cam_la_matched(result: clean.CleanResult) -> None:
    rows = result.communes[result.communes["source_file"] == "commune/case.csv"]
    assert set(rows["commune_code_old"].dropna()) == {7162, 7171}


def _html_kept_unmatched(result: clean.CleanResult) -> None:
    assert "<b>Cẩm La</b>" in result.unmatched["commune"].tolist()


def _formulas_escaped(result: clean.CleanResult) -> None:
    assert '\'=HYPERLINK("http://evil.example","Cẩm La")' in result.communes["commune"].tolist()


def _semicolons(result: clean.CleanResult) -> None:
    rows = result.communes[result.communes["source_file"] == "commune/case.csv"]
    assert rows["dossiers_online_pct"].tolist() == [90.1, 40.5]


def _blank_run(result: clean.CleanResult) -> None:
    entry = result.log[result.log["rule"] == "blank-row-dropped"]
    assert entry["old_value"].tolist() == ["1000000 blank rows (rows 2–1000001)"]


CASES = [
    # ------------------------------------------------------------------ not text, or no text
    Case("empty", "commune/case.csv", lambda: b"", ("the file is empty",)),
    Case("blank-lines", "commune/case.csv", lambda: b"\n\n\n", ("first line is blank",), row=1),
    Case("bom-only", "commune/case.csv", lambda: codecs.BOM_UTF8, ("first line is blank",), row=1),
    Case("binary-nul", "commune/case.csv", lambda: bytes(range(256)) * 8, ("binary content",)),
    Case("png-named-csv", "commune/case.csv", lambda: b"\x89PNG\r\n\x1a\n" + bytes(64),
         ("binary content (a PNG image)",)),  # fmt: skip
    Case("xlsx-named-csv", "commune/case.csv", valid_xlsx,
         ("binary content (a ZIP archive: an XLSX workbook saved with a .csv name?)",)),  # fmt: skip
    # ------------------------------------------------------------------ encodings
    Case("utf-16-bom", "commune/case.csv", lambda: commune_csv(ROW_A, encoding="utf-16"),
         ("UTF-16", "CSV UTF-8")),  # fmt: skip
    Case("utf-16-no-bom", "commune/case.csv", lambda: commune_csv(ROW_A, encoding="utf-16-le"),
         ("UTF-16",)),  # fmt: skip
    Case("double-encoded", "commune/case.csv",
         lambda: commune_csv(ROW_A).decode("cp1252", "replace").encode(), ("double-encoded",)),  # fmt: skip
    Case("latin-1-german", "commune/case.csv",
         lambda: "tinh,xa,nam,ho_so_truc_tuyen,ghi_chu\nQuang Ninh,Cam La,2022,5,Größe Müller\n".encode("latin-1"),
         ("code page other than Vietnamese", "not Vietnamese")),  # fmt: skip
    Case("question-marks", "commune/case.csv", lossy, ("replaced by '?'", "CSV UTF-8")),
    Case("mixed-encodings", "commune/case.csv",
         lambda: commune_csv(ROW_A) + "Quảng Ninh,Quảng Yên,Xã Cẩm La,2022".encode() + b"\xe0\n",
         ("invalid UTF-8 byte",), row=3),  # fmt: skip
    # ------------------------------------------------------------------ truncated
    Case("truncated-mid-character", "commune/case.csv",
         lambda: commune_csv(ROW_A) + "Quảng Ninh,Quảng Yên,Xã Cẩm La,2022,,,,,Lê Thị Hoà".encode()[:-1],
         ("ends in the middle of a character",)),  # fmt: skip
    Case("truncated-mid-row", "commune/case.csv",
         lambda: commune_csv(ROW_A) + "Quảng Ninh,Quảng Yên,Xã Cẩm".encode(),
         ("the row has 3 cells but the header has 10",), row=3),  # fmt: skip
    Case("truncated-in-quote", "commune/case.csv",
         lambda: commune_csv(ROW_A) + 'Quảng Ninh,Quảng Yên,Xã Cẩm La,2022,02/12/2022 10:00,"46'.encode(),
         ("quoted cell is never closed", "truncated"), row=3),  # fmt: skip
    Case("truncated-xlsx", "commune/case.xlsx", lambda: valid_xlsx()[:2000],
         ("not a readable XLSX workbook",)),  # fmt: skip
    # ------------------------------------------------------------------ shape
    Case("header-only", "household/case.csv", lambda: HOUSEHOLD.splitlines()[0].encode() + b"\n",
         rule="file-without-records"),  # fmt: skip
    Case("unquoted-decimal-comma", "commune/case.csv", lambda: commune_csv(ROW_A.replace('"90,1"', "90,1")),
         ("the row has 11 cells but the header has 10", "decimal comma"), row=2),  # fmt: skip
    Case("shifted-columns", "commune/case.csv",
         lambda: commune_csv('Quảng Ninh,Xã Cẩm La,2022,02/12/2022 10:00,"46,5",6,1,Lê Thị D,0913 333 444,'),
         ("value cannot be read", "whole number"), row=2, column="Năm khảo sát"),  # fmt: skip
    Case("duplicated-header", "commune/case.csv",
         lambda: commune_csv(ROW_A + ",7", header=HEADER + ",Số thôn"),
         ("duplicated column header",), row=1, column="Số thôn"),  # fmt: skip
    Case("two-headers-one-meaning", "commune/case.csv",
         lambda: commune_csv(ROW_A + ",2022", header=HEADER + ",nam_khao_sat"),
         ("two columns both mean 'wave'",), row=1),  # fmt: skip
    Case("trailing-empty-columns", "commune/case.csv",
         lambda: commune_csv(ROW_A + ",,", ROW_B + ",,", header=HEADER + ",,"), rule=None,
         check=_cam_la_matched),  # fmt: skip
    Case("semicolons", "commune/case.csv",
         lambda: commune_csv(*(r.replace('"', "").replace(",", ";").replace("90;1", "90,1").replace("40;5", "40,5")
                               for r in (ROW_A, ROW_B)), header=HEADER.replace(",", ";")),
         check=_semicolons),  # fmt: skip
    Case("cr-line-endings", "commune/case.csv", lambda: commune_csv(ROW_A, ROW_B).replace(b"\n", b"\r"),
         check=_cam_la_matched),  # fmt: skip
    Case("repeated-header-row", "commune/case.csv", lambda: commune_csv(ROW_A, HEADER, ROW_B),
         rule="repeated-header-row-dropped"),  # fmt: skip
    Case("column-bomb", "commune/case.csv",
         lambda: commune_csv(ROW_A, header=HEADER + "," + ",".join(f"c{i}" for i in range(50_000))),
         ("50,010 columns", "at most 2,000"), row=1),  # fmt: skip
    Case("header-bomb", "commune/case.csv", lambda: b"x" * (3 << 20),
         ("header row is longer than 1 MiB",), row=1),  # fmt: skip
    Case("blank-row-bomb", "commune/case.csv",
         lambda: commune_csv(*[",,,,,,,,,"] * 1_000_000), rule="blank-row-dropped", check=_blank_run),  # fmt: skip
    Case("huge-cell", "commune/case.csv",
         lambda: commune_csv(ROW_A, ROW_B.replace("Xã Cẩm La", "Cẩm La " * 14_286)),
         ("a cell is 100,002 characters long", "at most 10,000"), row=3,
         column="Xã/Phường/Thị trấn"),  # fmt: skip
    Case("huge-cell-not-read", "commune/case.csv",
         lambda: commune_csv(ROW_A.replace("Lê Văn C", "x" * 100_000)), rule="personal-column-not-read"),  # fmt: skip
    # ------------------------------------------------------------------ values
    Case("number-1.2.3", "commune/case.csv", lambda: commune_csv(ROW_A.replace('"90,1"', "1.2.3")),
         ("value cannot be read", "'1.2.3'", "Vietnamese locale"), row=2,
         column="Tỷ lệ hồ sơ nộp trực tuyến"),  # fmt: skip
    Case("number-85%%", "commune/case.csv", lambda: commune_csv(ROW_B.replace('"40,5"', "85%%")),
         ("value cannot be read", "'85%%'"), row=2, column="Tỷ lệ hồ sơ nộp trực tuyến"),  # fmt: skip
    Case("negative-counts", "commune/case.csv",
         lambda: commune_csv(ROW_A.replace(",8,3,", ",-3,-1,")), rule="out-of-range (valid 1–100) set missing"),  # fmt: skip
    Case("impossible-date", "commune/case.csv",
         lambda: commune_csv(ROW_A.replace("01/12/2022 09:00", "31/02/2022 09:00")),
         ("value cannot be read", "'31/02/2022 09:00'", "date-time"), row=2,
         column="Thời điểm gửi phiếu"),  # fmt: skip
    Case("future-submission", "commune/case.csv",
         lambda: commune_csv(ROW_A.replace("01/12/2022 09:00", "01/12/2099 09:00")),
         rule="future-date set missing"),  # fmt: skip
    Case("future-wave", "commune/case.csv", lambda: commune_csv(ROW_A.replace(",2022,", ",2099,")),
         ("value outside the valid range", "2015 to 2030", "'2099'"), row=2, column="Năm khảo sát"),  # fmt: skip
    Case("pilot-start-planned", "pilots/planned.csv",
         lambda: f"Tỉnh,Huyện,Xã,Ngày bắt đầu\nQuảng Ninh,Quảng Yên,Xã Cẩm La,01/07/{NEXT_YEAR}\n".encode(),
         rule="future-date kept (planned start: not treated in any wave)"),  # fmt: skip
    Case("pilot-start-2035", "pilots/far.csv",
         lambda: "Tỉnh,Huyện,Xã,Ngày bắt đầu\nQuảng Ninh,Quảng Yên,Xã Cẩm La,01/07/2035\n".encode(),
         ("value outside the valid range", "2030-12-31"), row=2, column="Ngày bắt đầu"),  # fmt: skip
    Case("unknown-province", "commune/case.csv", lambda: commune_csv(ROW_A.replace("Quảng Ninh", "Tỉnh Atlantis")),
         ("unknown province", "Atlantis"), row=2, column="province"),  # fmt: skip
    Case("missing-commune", "commune/case.csv", lambda: commune_csv(ROW_A.replace("Phường Yên Giang", "")),
         ("a required value is missing",), row=2, column="Xã/Phường/Thị trấn"),  # fmt: skip
    # ------------------------------------------------------------------ text
    Case("control-and-bidi-characters", "commune/case.csv",
         lambda: commune_csv(ROW_A.replace("Yên Giang", "Yên\x07 Giang\u202e"),
                             ROW_B.replace("Cẩm La", "Cẩm\u200f La\u2066")),
         rule="control-characters-removed", check=_cam_la_matched),  # fmt: skip
    Case("decomposed-unicode", "commune/case.csv", lambda: commune_csv(nfd(ROW_A), nfd(ROW_B)),
         check=_cam_la_matched),  # fmt: skip
    Case("html-in-name", "commune/case.csv", lambda: commune_csv(ROW_B.replace("Xã Cẩm La", "<b>Cẩm La</b>")),
         rule="markup-like-text-kept-as-text", check=_html_kept_unmatched),  # fmt: skip
    Case("formula-injection", "commune/case.csv",
         lambda: commune_csv(ROW_B.replace("Xã Cẩm La", '"=HYPERLINK(""http://evil.example"",""Cẩm La"")"')
                             .replace("Quảng Yên", "+cmd|' /C calc'!A0")),
         rule="formula-like-text-escaped"),  # fmt: skip
    Case("formula-in-pilot-programme", "pilots/programme.csv",
         lambda: "Tỉnh,Huyện,Xã,Ngày bắt đầu,Mô hình\nQuảng Ninh,Quảng Yên,Xã Cẩm La,01/03/2023,@SUM(1+1)*cmd|' /C calc'!A0\n".encode(),
         rule="formula-like-text-escaped"),  # fmt: skip
    Case("personal-data-in-name", "commune/case.csv",
         lambda: commune_csv(ROW_B.replace("Xã Cẩm La", "Xã Cẩm La 0912 345 678")), rule="personal-data-redacted"),  # fmt: skip
    Case("personal-file-name", "commune/0912345678.csv", lambda: commune_csv(ROW_A),
         ("file name looks like personal data",)),  # fmt: skip
    # ------------------------------------------------------------------ XLSX
    Case("xlsx-formulas-and-error-cells", "commune/case.xlsx", formulas_and_errors,
         rule="formula-without-cached-value set missing", check=_formulas_escaped),  # fmt: skip
    Case("xlsx-bool-in-number-column", "commune/case.xlsx", bool_in_number_column,
         ("value cannot be read", "True"), row=2, column="Tỷ lệ hồ sơ nộp trực tuyến"),  # fmt: skip
    Case("xlsx-no-header", "commune/case.xlsx", lambda: xlsx([["BÁO CÁO"], [], ["a", "b"], [1, 2]]),
         ("no header row found in the first 10 rows",)),  # fmt: skip
    Case("xlsx-empty-sheet", "commune/case.xlsx", lambda: xlsx([]), ("the worksheet is empty",)),
    Case("xlsx-not-a-zip", "commune/case.xlsx", lambda: COMMUNE.encode(),
         ("not a readable XLSX workbook", "not a ZIP archive")),  # fmt: skip
    Case("xlsx-encrypted-or-xls", "commune/case.xlsx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
         ("encrypted workbook or an old .xls",)),  # fmt: skip
    Case("xlsx-zip-without-workbook", "commune/case.xlsx",
         lambda: _zip({"hello.txt": b"hi"}), ("without xl/workbook.xml",)),  # fmt: skip
    Case("xlsx-zip-bomb", "commune/case.xlsx", zip_bomb, ("expands to", "ZIP bomb")),
]  # fmt: skip
ERRORS = [c for c in CASES if c.error]
LOGGED = [c for c in CASES if not c.error]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


_BUILT: dict[str, bytes] = {}


def content(case: Case) -> bytes:
    """The case's bytes, built once per test session (the ZIP bomb takes a second)."""
    if case.name not in _BUILT:
        _BUILT[case.name] = case.build()
    return _BUILT[case.name]


def make_raw(root: Path, cases: list[Case]) -> Path:
    raw = root / "raw"
    for rel, data in BASE.items():
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_bytes(data)
    for case in cases:
        path = raw / case.path
        if len(cases) > 1:  # several cases in one folder: one file each
            path = path.with_name(f"{path.stem}-{case.name}{path.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content(case))
    return raw


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (hidden ones too), by relative path."""
    return provenance.file_digests([p for p in folder.rglob("*") if p.is_file()], folder)


def assert_csv_outputs_safe(out: Path) -> None:
    """No cell of a CSV output would run as a spreadsheet formula."""
    for path in out.glob("*.csv"):
        if not path.read_text("utf-8-sig").strip():
            continue  # an empty report
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for column in table.columns:
            cells = table[column]
            risky = cells.str.match(r"[=+@\t\r]|-[^\d.\s]")
            assert not risky.any(), (path.name, cells[risky].tolist()[:3])


def test_corpus_is_large_enough():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_file(case, tmp_path, capsys, caplog):
    raw = make_raw(tmp_path, [case])
    before = digest(raw)
    out = tmp_path / "processed"
    if case.error:
        with pytest.raises(RawDataError) as err:
            clean.run(raw, out)
        message = str(err.value)
        assert err.value.file == case.path, message
        for fragment in case.error:
            assert fragment in message, message
        if case.row is not None:
            assert err.value.row == case.row, message
        if case.column is not None:
            assert err.value.column == case.column, message
        assert "\n" not in message and len(message) < 400, message
        assert not out.exists()
        # a previous output is left as it was
        out.mkdir()
        (out / "communes.parquet").write_bytes(b"previous")
        with pytest.raises(RawDataError):
            clean.run(raw, out)
        assert digest(out) == {"communes.parquet": hashlib.sha256(b"previous").hexdigest()}
        assert sorted(p.name for p in tmp_path.iterdir()) == ["processed", "raw"]
    else:
        result = clean.run(raw, out)
        rules = set(result.log.loc[result.log["file"].str.startswith(case.path[:-4]), "rule"])
        if case.rule:
            assert case.rule in rules, rules
        if case.check:
            case.check(result)
        assert_csv_outputs_safe(out)
    assert digest(raw) == before
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def _cli(raw: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    return subprocess.run(
        [sys.executable, "-m", "analysis", "clean", "--raw", str(raw), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_cli_on_every_case(tmp_path):
    """Every error case through the command line: exit 2, one line, no traceback, no output;
    all the logged cases together in one folder: exit 0."""
    runs = []
    for case in ERRORS:
        raw = make_raw(tmp_path / case.name, [case])
        runs.append((case, raw, tmp_path / case.name / "processed"))
    together = make_raw(tmp_path / "logged", LOGGED)
    before = digest(together)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        finished = list(pool.map(lambda r: _cli(r[1], r[2]), runs))
        logged = pool.submit(_cli, together, tmp_path / "logged" / "processed").result()
    for (case, _, out), run in zip(runs, finished, strict=True):
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2, (case.name, run.stderr[-2000:])
        assert len(lines) == 1 and "Traceback" not in run.stderr, (case.name, run.stderr)
        assert case.path in lines[0] and "ERROR" in lines[0], (case.name, lines[0])
        assert run.stdout == ""
        assert not out.exists()
    assert logged.returncode == 0, logged.stderr[-3000:]
    assert "Traceback" not in logged.stderr
    assert digest(together) == before
    log = pd.read_csv(tmp_path / "logged" / "processed" / "cleaning_log.csv", dtype=str)
    for case in LOGGED:
        if case.rule:
            stem = Path(case.path).stem + "-" + case.name
            rules = set(log.loc[log["file"].str.contains(stem, regex=False), "rule"])
            assert case.rule in rules, (case.name, rules)
    assert_csv_outputs_safe(tmp_path / "logged" / "processed")
