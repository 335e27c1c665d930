import codecs
import io
import random
import re
import unicodedata
import zipfile

import openpyxl
import pandas as pd
import pytest

from analysis import catalogue, ingest
from analysis.exceptions import RawDataError

CAT = catalogue.load()
HEADER = "Tỉnh/Thành phố,Quận/Huyện,Xã/Phường/Thị trấn,Năm khảo sát,Tỷ lệ hồ sơ nộp trực tuyến,Họ tên người điền,Cột lạ"
ROWS = [
    'Quảng Ninh,Thị xã Quảng Yên,Xã Cẩm La,2023,"93,7",Nguyễn Văn A,x',
    "Quảng Ninh,TX Quảng Yên,P. Yên Giang,2023,gần 85%,Trần Thị B,y",
]


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_bytes(text):
    """Windows-1258 as Vietnamese software writes it: base letters plus combining tone marks."""
    out = bytearray()
    for ch in text:
        nfd = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in TONES))
        out += (base + "".join(c for c in nfd if c in TONES)).encode("cp1258")
    return bytes(out)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_reads_utf8_with_and_without_bom(tmp_path, encoding):
    table = ingest.read(write(tmp_path / "a.csv", "\n".join([HEADER, *ROWS]) + "\n", encoding), CAT)
    assert table.instrument == "commune"
    assert table.data["Xã/Phường/Thị trấn"].tolist() == ["Xã Cẩm La", "P. Yên Giang"]
    assert table.rows.tolist() == [2, 3]
    assert table.columns["Tỷ lệ hồ sơ nộp trực tuyến"] == "dossiers_online_pct"


def test_personal_and_unknown_columns_are_not_read(tmp_path):
    table = ingest.read(write(tmp_path / "a.csv", "\n".join([HEADER, *ROWS]) + "\n"), CAT)
    assert "Họ tên người điền" not in table.data
    assert set(table.skipped) == {"Họ tên người điền", "Cột lạ"}


def test_reads_windows_1258_and_recomposes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(cp1258_bytes("\n".join([HEADER, *ROWS]) + "\n"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    table = ingest.read(path, CAT)
    assert table.encoding == "cp1258"
    assert table.data["Xã/Phường/Thị trấn"].tolist() == ["Xã Cẩm La", "P. Yên Giang"]


def test_kobo_headers(tmp_path):
    text = "_id,thong_tin/tinh,thong_tin/xa,thong_tin/nam,chinh_quyen_so/ho_so_truc_tuyen,_uuid\n1,Quảng Ninh,Cẩm La,2023,50,u1\n"
    table = ingest.read(write(tmp_path / "k.csv", text), CAT)
    assert table.instrument == "commune"
    assert sorted(table.columns.values()) == ["commune", "dossiers_online_pct", "province", "wave"]


def test_xlsx_with_title_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ CẤP XÃ NĂM 2023"])
    sheet.append([])
    sheet.append(HEADER.split(","))
    sheet.append(["Quảng Ninh", "TX Quảng Yên", "Xã Cẩm La", 2023, 93.7, "A", "x"])
    book.save(tmp_path / "a.xlsx")
    table = ingest.read(tmp_path / "a.xlsx", CAT)
    assert table.rows.tolist() == [4]
    assert table.data["Tỷ lệ hồ sơ nộp trực tuyến"].tolist() == [93.7]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (
            "Tỉnh/Thành phố,Xã/Phường/Thị trấn\n".encode()
            .decode("cp1252", "replace")
            .encode("utf-8"),
            "double-encoded",
        ),
        (b"\n\nfoo", "blank"),
        ("Tỉnh/Thành phố,Tỉnh/Thành phố,Xã/Phường/Thị trấn,Năm khảo sát\n".encode(), "duplicated"),
        (
            "Tỉnh/Thành phố,Năm khảo sát,Tỷ lệ hồ sơ nộp trực tuyến\nQuảng Ninh,2023,5\n".encode(),
            "required column",
        ),
        (b"a,b,c\n1,2,3\n", "match no questionnaire"),
        ((HEADER + "\n" + ROWS[0] + ",extra,cells\n").encode(), "number of cells"),
        (b"\x81\x8d\x8f\x90\x9d" * 20, "undecodable"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(RawDataError) as err:
        ingest.read(path, CAT)
    assert message in str(err.value)
    assert "bad.csv" in str(err.value)


def test_missing_required_column_names_it(tmp_path):
    path = write(
        tmp_path / "a.csv",
        "Tỉnh/Thành phố,Năm khảo sát,Tỷ lệ hồ sơ nộp trực tuyến\nQuảng Ninh,2023,5\n",
    )
    with pytest.raises(RawDataError) as err:
        ingest.read(path, CAT)
    assert err.value.column == "Xã/Phường/Thị trấn"
    assert err.value.row == 1


def test_not_a_workbook(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(RawDataError, match="not a readable XLSX"):
        ingest.read(path, CAT)


def test_unsupported_suffix(tmp_path):
    with pytest.raises(RawDataError, match="unsupported"):
        ingest.read(write(tmp_path / "a.pdf", "x"), CAT)


# ----------------------------------------------------------------------------- beyond 64 KiB

KOBO = "tinh,xa,nam,ho_so_truc_tuyen\n"
ASCII_ROW = "Quang Ninh,Cam La,2023,5\n"


def test_vietnamese_after_an_ascii_start_is_windows_1258(tmp_path):
    """The encoding is judged on 64 KiB; Windows-1258 text further down is still found."""
    rows = ASCII_ROW * (ingest.SNIFF_BYTES // len(ASCII_ROW) + 10)
    path = tmp_path / "late.csv"
    path.write_bytes((KOBO + rows).encode("ascii") + cp1258_bytes("Quảng Ninh,Xã Cẩm La,2023,7\n"))
    table = ingest.read(path, CAT)
    assert table.encoding == "cp1258"
    assert table.data["xa"].iloc[-1] == "Xã Cẩm La"
    assert unicodedata.is_normalized("NFC", table.data["xa"].iloc[-1])


def test_utf8_with_a_stray_byte_far_down_names_the_row(tmp_path):
    rows = "Quảng Ninh,Cẩm La,2023,5\n" * (ingest.SNIFF_BYTES // 20)
    path = tmp_path / "stray.csv"
    path.write_bytes((KOBO + rows).encode() + b"Qu\xe1ng Ninh,Cam La,2023,5\n")
    with pytest.raises(RawDataError, match="invalid UTF-8") as err:
        ingest.read(path, CAT)
    assert err.value.row == rows.count("\n") + 2


def test_a_character_cut_by_the_64_kib_boundary_is_not_an_error(tmp_path):
    header = "tinh,xa,nam,ho_so_truc_tuyen,cot_la\n"
    start = "Quang Ninh,Cam La,2023,5,"
    filler = "x" * (ingest.SNIFF_BYTES - len(header) - len(start) - 1)
    text = header + start + filler + "ầ\n" + "Quảng Ninh,Cẩm La,2023,6,\n"
    assert text.encode()[: ingest.SNIFF_BYTES].decode("utf-8", "replace").endswith("\ufffd")
    table = ingest.read(write(tmp_path / "cut.csv", text), CAT)
    assert table.encoding == "utf-8" and table.data["xa"].tolist() == ["Cam La", "Cẩm La"]


def test_semicolon_separated_exports(tmp_path):
    path = write(tmp_path / "s.csv", "tinh;xa;nam;ho_so_truc_tuyen\nQuảng Ninh;Cẩm La;2023;93,7\n")
    table = ingest.read(path, CAT)
    assert table.data["ho_so_truc_tuyen"].tolist() == ["93,7"]


def test_a_long_header_row_is_read_whole(tmp_path):
    extra = ",".join(f"cot_{i}" for i in range(1_500))  # ~14 KiB of unknown columns
    text = f"{KOBO.strip()},{extra}\nQuảng Ninh,Cẩm La,2023,5{',' * 1_500}\n"
    table = ingest.read(write(tmp_path / "wide.csv", text * 1), CAT)
    assert len(table.skipped) == 1_500 and table.data["nam"].tolist() == ["2023"]


def test_a_header_row_past_64_kib_is_read_whole(tmp_path):
    """The header row is read on past the first 64 KiB (decoded again as it grows)."""
    extra = ",".join(f"cột_lạ_{i:04d}_{'x' * 30}" for i in range(1_900))
    assert len(extra.encode()) > ingest.SNIFF_BYTES
    text = f"{KOBO.strip()},{extra}\nQuảng Ninh,Cẩm La,2023,5{',' * 1_900}\n"
    table = ingest.read(write(tmp_path / "wider.csv", text), CAT)
    assert len(table.skipped) == 1_900 and table.skipped[-1].startswith("cột_lạ_1899_")
    assert table.data["xa"].tolist() == ["Cẩm La"]


def test_xlsx_formula_cells(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Tỉnh/Thành phố", "Xã/Phường/Thị trấn", "Năm khảo sát", "Số thôn"])
    sheet.append(["Quảng Ninh", "Cẩm La", 2023, "=2+3"])
    sheet.append(["Quảng Ninh", "Yên Giang", 2023, "#DIV/0!"])
    book.save(tmp_path / "f.xlsx")
    table = ingest.read(tmp_path / "f.xlsx", CAT)
    assert pd.isna(table.data["Số thôn"][0]) and table.data["Số thôn"][1] == "#DIV/0!"
    assert table.notes == [(2, "Số thôn", "=2+3", None, "formula-without-cached-value set missing")]


def test_xlsx_cached_formula_values_are_used_and_counted(tmp_path):
    """Excel stores a formula's last result: that is what the sender saw."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Tỉnh/Thành phố", "Xã/Phường/Thị trấn", "Năm khảo sát", "Số thôn"])
    sheet.append(["Quảng Ninh", "Cẩm La", 2023, "=2+3"])
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(tmp_path / "c.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>2+3</f><v />", b"<f>2+3</f><v>5</v>")
            dst.writestr(item, data)
    table = ingest.read(tmp_path / "c.xlsx", CAT)
    assert table.data["Số thôn"].tolist() == [5]
    assert table.notes == [(None, "Số thôn", "1 cells", None, "formula-cached-values-used")]


def test_a_bom_file_with_a_stray_byte_far_down_is_not_reread_as_windows_1258(tmp_path):
    rows = ASCII_ROW * (ingest.SNIFF_BYTES // len(ASCII_ROW) + 10)
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + (KOBO + rows).encode() + b"Qu\xe1ng Ninh,Cam La,2023,5\n")
    with pytest.raises(RawDataError, match="invalid UTF-8") as err:
        ingest.read(path, CAT)
    assert err.value.row == rows.count("\n") + 2


# ----------------------------------------------------------------------------- fast paths


def test_mojibake_patterns_find_what_one_alternation_finds():
    """The per-letter patterns give the leftmost match the single alternation gave."""
    alternation = re.compile("Ã[\u0080-\u00bf]|Ä‘|Æ°|Ä\u0090|á»|áº")
    letters = "ÃÄÆáa\u0080\u00bf\u00c0‘°\u0090»º’ "
    rng = random.Random(0)
    for _ in range(3_000):
        text = "".join(rng.choice(letters) for _ in range(rng.randrange(12)))
        expected = alternation.search(text)
        found = ingest._mojibake(text)
        assert (found and (found.start(), found.group(0))) == (
            expected and (expected.start(), expected.group(0))
        ), text


def _long_cells(tmp_path, xa, nam="2023"):
    text = f"{KOBO}Quảng Ninh,{xa},{nam},5\nQuảng Ninh,Cẩm La,2023,6\n"
    return ingest.read(write(tmp_path / "long.csv", text), CAT)


def test_a_cell_of_many_bytes_but_few_characters_is_read(tmp_path):
    """Bytes bound characters: 10,000 three-byte letters are 30,000 bytes and allowed."""
    table = _long_cells(tmp_path, "ầ" * ingest.MAX_CELL_CHARS)
    assert table.data["xa"].str.len().tolist() == [ingest.MAX_CELL_CHARS, 6]
    assert table.rows.dtype == "int64" and table.rows.tolist() == [2, 3]


def test_a_long_cell_is_named_after_a_column_of_many_bytes(tmp_path):
    """A column over the byte bound but within the limit does not hide a later long cell."""
    with pytest.raises(RawDataError, match="10,001 characters long") as err:
        _long_cells(tmp_path, "ầ" * ingest.MAX_CELL_CHARS, nam="9" * (ingest.MAX_CELL_CHARS + 1))
    assert (err.value.row, err.value.column) == (2, "nam")
