import logging
import re
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from analysis import catalogue, clean, privacy, store
from analysis.exceptions import RawDataError

CAT = catalogue.load()


def test_drop_personal_removes_every_personal_column():
    df = pd.DataFrame(
        {c: ["x"] for c in ["respondent_name", "phone", "citizen_id", "email", "comment", "weight"]}
    )
    assert list(privacy.drop_personal(df, CAT, "household").columns) == ["weight"]


def test_citizen_id_key_keeps_leading_zeros_and_rejects_others():
    key = privacy.citizen_id_key(pd.Series(["001 203 004 005", "012345678901", "12345", None]))
    assert key.tolist()[:2] == ["001203004005", "012345678901"]
    assert key[2:].isna().all()


@pytest.mark.parametrize(
    "value",
    ["0912 345 678", "+84 912345678", "001203004005", "an.nguyen@example.vn"],
)
def test_leak_check_catches_personal_looking_text(value):
    with pytest.raises(privacy.PersonalDataLeak):
        privacy.assert_clean(pd.DataFrame({"commune": ["Cẩm La", value]}), "t", CAT)


def test_leak_check_catches_personal_columns_and_passes_clean_tables():
    with pytest.raises(privacy.PersonalDataLeak, match="phone"):
        privacy.assert_clean(pd.DataFrame({"phone": [None]}), "t", CAT)
    privacy.assert_clean(
        pd.DataFrame({"commune": ["Cẩm La"], "wave": [2023], "x": [93.7]}), "t", CAT
    )


#: Text that does and does not look personal, in the corners of the screen before the patterns:
#: digits of other scripts, separators, digits split by letters, e-mail addresses in Vietnamese.
TRICKY = [
    "0912 345 678", "0912.345.678", "(024) 3825 1234", "+84 912 345 678", "84912345678",
    "0\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667",  # 0 and 8 Arabic-Indic digits
    "\uff10\uff10\uff11\uff12\uff10\uff13\uff10\uff10\uff14\uff10\uff10\uff15",  # full-width
    "0\U0001d7d7\U0001d7d6\U0001d7d7\U0001d7d6\U0001d7d7\U0001d7d6\U0001d7d7\U0001d7d6",  # maths bold
    "001\u00a0203\u2009004\u3000005", "Xã Cẩm La 0912 345 678 (gọi tối)", "nguyễn@ví-dụ.vn",
    "a@b", "a@b.c", "@", "Xã 4;70;190;226", "12345678", "091234567", "0912 34 56 7x8",
    "1234567890123", "²³¹0912345678", "Xã Đông Khê [16387] | Xã Đông Khê [16408]", "Cẩm La",
]  # fmt: skip


def _first_leak(values: pd.Series) -> str | None:
    """What the leak check finds in ``values`` without screening: every distinct value."""
    whats = (privacy.looks_personal(str(v)) for v in pd.unique(values.dropna()))
    return next((what for what in whats if what), None)


@pytest.mark.parametrize("dtype", ["str", object])
@pytest.mark.parametrize("value", TRICKY)
def test_leak_check_finds_what_every_distinct_value_checked_finds(value, dtype):
    values = pd.Series(["Cẩm La", None, value], dtype=dtype)
    expected = _first_leak(values)
    if expected is None:
        privacy.assert_clean(pd.DataFrame({"commune": values}), "t", CAT)
    else:
        with pytest.raises(privacy.PersonalDataLeak, match=f"looks like a {expected}$"):
            privacy.assert_clean(pd.DataFrame({"commune": values}), "t", CAT)


def test_leak_screen_keeps_every_digit_and_pattern_python_knows():
    """The pyarrow screen counts as a digit every character Python's ``\\d`` matches."""
    digits = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\d", chr(c))]
    maybe = pc.match_substring_regex(pa.array(digits), f"^(?:{privacy._MAYBE_DIGIT})$")
    assert len(digits) > 600 and pc.all(maybe).as_py()
    # a new kind of pattern needs its own screen in privacy._suspects
    assert set(privacy.PATTERNS) == {"citizen ID number", "phone number", "e-mail address"}
    suspects = privacy._suspects(pd.Series(TRICKY * 2, dtype="str"))
    flagged = [t for t in TRICKY if privacy.looks_personal(t)]
    assert [t for t in suspects if t in flagged] == flagged  # all of them, in order
    assert len(suspects) < len(TRICKY)
    with pytest.raises(privacy.PersonalDataLeak, match="e-mail"):  # the first one is reported
        privacy.assert_clean(pd.DataFrame({"x": ["Cẩm La", "a@b.vn", "0912 345 678"]}), "t", CAT)


@pytest.mark.parametrize("dtype", ["str", object])
def test_redact_changes_what_every_distinct_value_redacted_changes(dtype):
    values = pd.Series([*TRICKY, None, *reversed(TRICKY)], dtype=dtype)
    out, changed = privacy.redact(values)
    expected = [None if v is None or v != v else privacy.redact_text(v) for v in values]
    assert [None if v is None or v != v else v for v in out] == expected
    assert changed.tolist() == [
        e is not None and e != v for e, v in zip(expected, values, strict=True)
    ]
    assert 0 < changed.sum() < len(values) - 1


# ----------------------------------------------------------------------------- canaries

CANARY_NAMES = ["Nguyễn Thị Hoạ Mi Canary", "Trần Văn Kiểm Tra"]
CANARY_PHONES = [
    "0912 345 670",
    "0912.345.671",
    "+84 912 345 672",
    "(+84) 912-345-673",
    "84912345674",
    "0912345675",
    "(024) 3825 1276",
]
CANARY_IDS = ["001203004099", "079 203 004 098"]
CANARY_EMAILS = ["canary.one@example.vn", "Canary.Two+tag@mail.example.com"]
CANARY_MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]
CANARIES = CANARY_NAMES + CANARY_PHONES + CANARY_IDS + CANARY_EMAILS + CANARY_MARKUP


def _forms(canary: str) -> set[str]:
    """The canary and the forms it could take after cleaning (digits only, lower case)."""
    forms = {canary, canary.lower()}
    digits = "".join(ch for ch in canary if ch.isdigit())
    if len(digits) >= 9:
        forms |= {digits, digits.lstrip("0"), digits.removeprefix("84")}
    if canary.startswith("<"):
        forms |= {"<script", "onerror", "alert(1)"}
    return forms


def _csv_line(cells: list[str]) -> str:
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


def _plant(raw: Path) -> None:
    phones, ids, mails = CANARY_PHONES, CANARY_IDS, CANARY_EMAILS
    comment = f"Góp ý {CANARY_MARKUP[0]} {CANARY_MARKUP[1]} {CANARY_MARKUP[2]}"
    (raw / "commune").mkdir(parents=True)
    header = [
        "Tỉnh/Thành phố", "Quận/Huyện", "Xã/Phường/Thị trấn", "Năm khảo sát",
        "Tỷ lệ hồ sơ nộp trực tuyến", "Người điền phiếu", "Số điện thoại liên hệ", "Ghi chú",
        "Liên hệ khác", CANARY_EMAILS[0],
    ]  # fmt: skip
    rows = [
        ["Quảng Ninh", "Quảng Yên", "Phường Yên Giang", "2023", "93,7", CANARY_NAMES[0],
         phones[0], comment, f"{mails[1]} {phones[6]}", CANARY_MARKUP[0]],
        ["Quảng Ninh", f"Quảng Yên {mails[0]}", f"Xã Cẩm La (liên hệ {phones[1]})", "2023", "46,5",
         CANARY_NAMES[1], phones[2], CANARY_MARKUP[2], ids[0], phones[3]],
    ]  # fmt: skip
    text = "\n".join(_csv_line(r) for r in [header, *rows]) + "\n"
    (raw / "commune" / "qn-2023.csv").write_bytes(text.encode("utf-8-sig"))
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(
        ["Quảng Ninh", "Quảng Yên", "Xã Cẩm La", 2022, 40.5, CANARY_NAMES[0], phones[4],
         comment, mails[1], ids[1]]
    )  # fmt: skip
    book.save(raw / "commune" / "qn-2022.xlsx")
    (raw / "household").mkdir()
    header = ["tinh", "huyen", "xa", "nam", "ho_ten", "sdt", "cccd", "email", "y_kien",
              "trong_so", "co_vneid", "so_lien_he_khac", "thong_tin_them"]  # fmt: skip
    rows = [
        ["Quảng Ninh", "Quảng Yên", "Yên Giang", "2023", CANARY_NAMES[1], phones[5], ids[0],
         mails[0], comment, "120", "Có", phones[6], f"{CANARY_MARKUP[1]} {ids[1]}"],
        ["Quảng Ninh", "Quảng Yên", "Cẩm La", "2023", CANARY_NAMES[0], phones[0], ids[1],
         mails[1], CANARY_MARKUP[2], "95", "Không", phones[3], mails[0]],
        ["Quảng Ninh", "Quảng Yên", "Cẩm La", "2023", CANARY_NAMES[0], phones[0], ids[1],
         mails[1], "lần hai", "96", "Có", phones[3], mails[0]],
    ]  # fmt: skip
    text = "\n".join(_csv_line(r) for r in [header, *rows]) + "\n"
    (raw / "household" / "qn-2023.csv").write_text(text, encoding="utf-8")
    (raw / "pilots.csv").write_text(
        "Tỉnh,Huyện,Xã,Ngày bắt đầu,Mô hình,Người liên hệ\n"
        f"Quảng Ninh,Quảng Yên,Phường Yên Giang,15/10/2022,Mô hình {phones[4]},"
        f"{CANARY_NAMES[1]} {phones[2]}\n",
        encoding="utf-8",
    )


def test_canaries_never_reach_processed_outputs_or_logs(tmp_path, caplog):
    raw = tmp_path / "raw"
    _plant(raw)
    planted = " ".join(p.read_text("utf-8-sig") for p in raw.rglob("*.csv"))
    planted += " ".join(
        str(v) for row in openpyxl.load_workbook(raw / "commune" / "qn-2022.xlsx").active.values
        for v in row
    )  # fmt: skip
    assert all(canary in planted for canary in CANARIES)
    out = tmp_path / "processed"
    with caplog.at_level(logging.DEBUG, logger="analysis"):
        result = clean.run(raw, out)
    assert len(result.households) == 2  # the duplicate submission (same citizen ID) removed
    assert "personal-data-redacted" in set(result.log["rule"])
    texts = {"caplog": caplog.text, "result.log": result.log.to_csv()}
    for path in sorted(out.iterdir()):
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
            texts[path.name] = " ".join(map(str, df.columns)) + "\n" + df.to_csv()
        else:
            texts[path.name] = path.read_text("utf-8-sig")
    assert {"communes.parquet", "cleaning_log.csv", "codebook.md", "manifest.json"} <= set(texts)
    found = [
        (canary, name)
        for canary in CANARIES
        for name, text in texts.items()
        if any(form in text for form in _forms(canary))
    ]
    assert found == []


def test_error_messages_redact_personal_data(tmp_path, caplog):
    """A shifted row puts a phone number where a year belongs: the error says where, not what."""
    raw = tmp_path / "raw"
    (raw / "commune").mkdir(parents=True)
    (raw / "commune" / "qn.csv").write_text(
        "Tỉnh/Thành phố,Xã/Phường/Thị trấn,Năm khảo sát,Số thôn\n"
        "Quảng Ninh,Xã Cẩm La,0912 345 670,5\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.DEBUG, logger="analysis"):
        with pytest.raises(RawDataError) as err:
            clean.run(raw, tmp_path / "out")
    assert "[redacted]" in str(err.value) and "row 2" in str(err.value)
    for form in _forms("0912 345 670"):
        assert form not in str(err.value) and form not in caplog.text
    assert not (tmp_path / "out").exists()


def test_redact_and_formula_escape():
    values = pd.Series(["Xã Cẩm La", "gọi 0912 345 678", None, "a@b.vn"], dtype="str")
    redacted, changed = privacy.redact(values)
    assert redacted.tolist()[:2] == ["Xã Cẩm La", "gọi [redacted]"]
    assert pd.isna(redacted[2]) and redacted[3] == "[redacted]"
    assert changed.tolist() == [False, True, False, True]
    frame = pd.DataFrame({"t": ["=SUM(A1)", "+cmd", "-3", "@x", "-x", "ok", None], "n": range(7)})
    escaped = store.escape_formulas(frame)
    assert escaped["t"].tolist()[:6] == ["'=SUM(A1)", "'+cmd", "-3", "'@x", "'-x", "ok"]
    assert frame["t"][0] == "=SUM(A1)"  # the input is not modified
    for dtype in ("string", "string[pyarrow]", object):  # every text dtype a table may hold
        typed = store.escape_formulas(frame.astype({"t": dtype}))
        assert typed["t"].tolist()[:6] == escaped["t"].tolist()[:6], dtype
