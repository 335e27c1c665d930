import numpy as np
import pandas as pd
import pytest

from analysis.parse import (
    ValueProblem,
    parse_binary,
    parse_category,
    parse_date,
    parse_datetime,
    parse_factorized,
    parse_integer,
    parse_number,
    parse_text,
)


@pytest.mark.parametrize(
    ("text", "value", "approx"),
    [
        ("93,7", 93.7, False),
        ("93,7%", 93.7, False),
        ("1.706,44", 1706.44, False),
        ("625.200", 625200.0, False),
        ("108,94%", 108.94, False),
        ("gần 85%", 85.0, True),
        ("hơn 46%", 46.0, True),
        ("trên 90%", 90.0, True),
        ("khoảng 2.100", 2100.0, True),
        ("Xấp xỉ 70", 70.0, True),
        ("tren 90 %", 90.0, True),
        ("1 200", 1200.0, False),
        ("-3", -3.0, False),
        ("85.5", 85.5, False),
    ],
)
def test_numbers_in_vietnamese_locale(text, value, approx):
    parsed = parse_number(pd.Series([text]))
    assert parsed.values[0] == pytest.approx(value)
    assert bool(parsed.approx[0]) is approx


def test_missing_markers_become_missing_and_are_logged():
    parsed = parse_number(
        pd.Series(["-", "N/A", "chưa có số liệu", "", None, "#DIV/0!"], dtype=object)
    )
    assert parsed.values.isna().all()
    rules = sorted(parsed.changes["rule"])
    assert rules == ["missing-marker"] * 3 + ["sheet-error-cell"]


def test_xlsx_numbers_pass_through():
    parsed = parse_number(pd.Series([93.7, 12, "45,5"], dtype=object))
    assert parsed.values.tolist() == [93.7, 12.0, 45.5]


@pytest.mark.parametrize("bad", ["abc", "1.2.3", "85%%", "12,3,4", "1e5x"])
def test_garbage_raises_with_the_cell(bad):
    with pytest.raises(ValueProblem) as err:
        parse_number(pd.Series(["1", bad], index=[10, 11]))
    assert err.value.label == 11
    assert err.value.value == bad


def test_approximate_and_dot_decimal_are_logged_cell_by_cell():
    parsed = parse_number(pd.Series(["gần 85%", "85.5", "93,7"]))
    assert list(zip(parsed.changes["label"], parsed.changes["rule"], strict=True)) == [
        (0, "approximate-value"),
        (1, "dot-decimal"),
    ]
    assert parsed.converted.tolist() == [False, False, True]


def test_integer_rejects_fractions_softly():
    parsed = parse_integer(pd.Series(["8", "8,5", None]))
    assert parsed.values.dtype == "Int64"
    assert parsed.values.tolist()[0] == 8 and pd.isna(parsed.values[1])
    assert parsed.changes["rule"].tolist() == ["not-a-whole-number"]


def test_binary_answers():
    parsed = parse_binary(
        pd.Series(["Có", "Không", "co", "khong", 1, 0.0, None, "1"], dtype=object)
    )
    assert parsed.values.tolist()[:6] == [1, 0, 1, 0, 1, 0]
    assert pd.isna(parsed.values[6])
    with pytest.raises(ValueProblem):
        parse_binary(pd.Series(["có lẽ"]))


def test_categories_ignore_case_and_diacritics():
    parsed = parse_category(
        pd.Series(["Xa", "PHƯỜNG", "thi tran", "đặc khu"]), ["xã", "phường", "thị trấn"]
    )
    assert parsed.values.tolist()[:3] == ["xã", "phường", "thị trấn"]
    assert pd.isna(parsed.values[3])
    assert parsed.changes[["label", "rule"]].values.tolist() == [[3, "unknown-category"]]


def test_datetimes_day_first_and_iso_with_offsets():
    parsed = parse_datetime(
        pd.Series(
            [
                "02/11/2023 08:15",
                "2023-11-02T08:15:00.000+07:00",
                "2023-11-02T01:15:00Z",
                "2023-11-02 08:15",
            ]
        )
    )
    assert (parsed.values == pd.Timestamp("2023-11-02 08:15")).all()
    with pytest.raises(ValueProblem):
        parse_datetime(pd.Series(["32/13/2023"]))


def test_month_year_dates_are_first_of_month_and_approximate():
    parsed = parse_date(pd.Series(["10/2022", "15/03/2023"]))
    assert parsed.values.tolist() == [pd.Timestamp("2022-10-01"), pd.Timestamp("2023-03-15")]
    assert parsed.approx.tolist() == [True, False]


def test_text_is_nfc_without_control_characters():
    decomposed = "Ca\u0302\u0300m La"  # NFD-ish input
    parsed = parse_text(pd.Series([f"  {decomposed}\u200f ", "a\x00b", None]))
    assert parsed.values[0] == "Cầm La"
    assert parsed.values[1] == "ab"
    assert pd.isna(parsed.values[2])


def test_numbers_are_float64():
    parsed = parse_number(pd.Series(["1", "2,5"]))
    assert parsed.values.dtype == np.float64


def test_distinct_values_spread_back_cell_by_cell():
    raw = pd.Series(["gần 85%", "1,5", None, "gần 85%", "-", "1,5"], index=[10, 11, 12, 13, 14, 15])
    parsed = parse_number(raw)
    assert parsed.values.tolist()[:2] == [85.0, 1.5] and parsed.values[13] == 85.0
    assert parsed.approx.tolist() == [True, False, False, True, False, False]
    assert parsed.converted.tolist() == [False, True, False, False, False, True]
    assert parsed.changes[["label", "rule"]].values.tolist() == [
        [10, "approximate-value"],
        [13, "approximate-value"],
        [14, "missing-marker"],
    ]


def test_errors_name_the_first_cell_holding_the_value():
    with pytest.raises(ValueProblem) as err:
        parse_number(pd.Series(["1", "x", "2", "x"], index=[5, 6, 7, 8]))
    assert err.value.label == 6


def test_parse_factorized_judges_only_the_values_in_use():
    uniques = pd.Series(["12", "not a number", "7"], dtype="str")
    codes = np.array([0, 2, -1, 0])  # "not a number" only stood in a dropped row
    parsed = parse_factorized(parse_integer, codes, uniques, pd.Index([3, 4, 5, 6]))
    assert parsed.values.tolist()[:2] == [12, 7] and pd.isna(parsed.values[5])
    with pytest.raises(ValueProblem) as err:
        parse_factorized(parse_integer, np.array([1, 0]), uniques, pd.Index([9, 10]))
    assert err.value.label == 9


def test_text_escapes_formulas_and_flags_markup():
    parsed = parse_text(
        pd.Series(['=HYPERLINK("x")', "+cmd", "@SUM(1)", "-3", "<b>Cẩm La</b>", "Cẩm La", "#N/A"])
    )
    assert parsed.values.tolist()[:6] == [
        "'=HYPERLINK(\"x\")", "'+cmd", "'@SUM(1)", "-3", "<b>Cẩm La</b>", "Cẩm La",
    ]  # fmt: skip
    assert pd.isna(parsed.values[6])
    assert parsed.changes[["label", "rule"]].values.tolist() == [
        [0, "formula-like-text-escaped"],
        [1, "formula-like-text-escaped"],
        [2, "formula-like-text-escaped"],
        [4, "markup-like-text-kept-as-text"],
        [6, "sheet-error-cell"],
    ]


def test_day_first_stamps_take_the_fast_path_and_stay_strict():
    parsed = parse_datetime(pd.Series(["01/10/2022 13:48", "1/2/2023 10:00", "31/12/2023"]))
    assert parsed.values.tolist() == [
        pd.Timestamp("2022-10-01 13:48"),
        pd.Timestamp("2023-02-01 10:00"),
        pd.Timestamp("2023-12-31"),
    ]
    leap = parse_datetime(pd.Series(["29/02/2024 10:00", "29/02/2024 10:00:05", "29/02/2024"]))
    assert leap.values.dt.day.tolist() == [29, 29, 29]
    # days past the month's end are refused, not rolled over into the next month
    for cell in ["29/02/2023 10:00", "31/04/2023 10:00:00", "31/06/2023", "00/01/2023"]:
        with pytest.raises(ValueProblem):
            parse_datetime(pd.Series(["01/10/2022 13:48", cell]))


def _number_cells(n: int, seed: int) -> pd.Series:
    """Cells put together the ways numbers are written (a few of them invalid)."""
    rng = np.random.default_rng(seed)
    parts = [
        ["", "", "", "", "", "gần ", "~", "-", "+"],
        ["0", "7", "12", "085", "1.234", "999", "1 000", "00", "12345678", "12.345.678", "0.5"],
        ["", "", ",5", ",05", ",50", ".5", ",", "3", ".25", ".125", ".2500"],
        ["", "", "%", " %", "  %"],
    ]
    cells = ["".join(rng.choice(p) for p in parts) for _ in range(n)]
    return pd.Series(cells, index=range(100, 100 + n), dtype="str")


def _parse_valid(cells: pd.Series):
    """parse_number on the cells it accepts (each refused cell is dropped and the rest re-read)."""
    from analysis import parse

    while True:
        try:
            return parse.parse_number(cells)
        except parse.ValueProblem as problem:
            cells = cells.drop(problem.label)


def test_simple_number_shortcut_reads_like_the_general_rules(monkeypatch):
    from analysis import parse

    cells = _number_cells(1500, 1)
    simple = cells.str.fullmatch(parse.SIMPLE_NUMBER)
    assert 200 < simple.sum() < 1200  # both kinds of cell are there
    fast = _parse_valid(cells)
    dots = cells.str.fullmatch(parse.SIMPLE_DOT_DECIMAL) & ~cells.str.fullmatch(parse._THOUSANDS)
    assert 20 < dots.sum() < 300
    monkeypatch.setattr(parse, "_simple_numbers", lambda cells, *_: cells)
    general = _parse_valid(cells)
    assert len(fast.values) > 1000
    pd.testing.assert_series_equal(fast.values, general.values)
    pd.testing.assert_series_equal(fast.approx, general.approx)
    pd.testing.assert_series_equal(fast.converted, general.converted)
    # the same corrections for each cell (the shortcut logs its dot decimals first)
    by_cell = ["label", "rule"]
    pd.testing.assert_frame_equal(
        fast.changes.sort_values(by_cell, kind="stable", ignore_index=True),
        general.changes.sort_values(by_cell, kind="stable", ignore_index=True),
    )
    assert (fast.changes["rule"] == "dot-decimal").sum() > 20


def test_text_patterns_for_pyarrow_match_pythons():
    """The RE2 spellings of CONTROL and ``\\s`` match the same characters as Python's."""
    import re
    import sys

    import pyarrow as pa
    import pyarrow.compute as pc

    from analysis import parse

    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    arrow = pa.array(chars)
    for python, re2 in [(parse.CONTROL, parse.RE2_CONTROL), (r"\s", parse.RE2_SPACE)]:
        expected = [bool(re.fullmatch(python, c)) for c in chars]
        assert pc.match_substring_regex(arrow, f"^{re2}$").to_pylist() == expected


#: Names as exports hold them: spaces of all kinds, control and bidi characters, formulas,
#: numbers with signs, markup and script URLs, colons and angle brackets that are not markup.
ODD_TEXT = [
    " Xã\u00a0 Cẩm\u2003La ", "Cẩm\tLa\r\n", "\u202eaL màC\u202c", "Cẩm\u200bLa", "a\x00b\x1fc",
    "=1+1", "+84 912", "-3", "- 3,5 %", "@Cẩm", "=", "+", "<b>Cẩm</b>", "a < b > c", "<", "x:y",
    "JavaScript\u3000:alert(1)", "vbscript :x", "Thôn 3: Cẩm La", "<!-- x -->", "\u3000", "",
    "#N/A", " #div/0! ", "Cầm La", "Phường\u2028 1", "\ufeffXã A", "Xã\u0085B",
]  # fmt: skip


def _reference_parse_text(text: pd.Series) -> tuple[list, list]:
    """parse_text's cleaning and rules, one cell at a time with Python's regular expressions."""
    import re

    from analysis import parse

    values, rules = [], []
    for i, cell in text.items():
        cleaned = re.sub(r"\s+", " ", re.sub(parse.CONTROL, "", cell)).strip()
        if cleaned != cell:
            rules.append((i, "control-characters-removed"))
        if cleaned.lower() in parse.SHEET_ERRORS:
            rules.append((i, "sheet-error-cell"))
            cleaned = ""
        if re.match(parse.FORMULA, cleaned) and len(cleaned) > 1:
            if not re.fullmatch(r"[+-]?[\d.,\s]+%?", cleaned):
                rules.append((i, "formula-like-text-escaped"))
                cleaned = "'" + cleaned
        if cleaned and re.search(parse.MARKUP, cleaned):
            rules.append((i, "markup-like-text-kept-as-text"))
        values.append(cleaned or None)
    return values, rules


def test_text_cleaning_matches_the_python_reference():
    import unicodedata

    cells = pd.Series(ODD_TEXT * 2, dtype="str")
    parsed = parse_text(cells)
    nfc = cells.map(lambda c: unicodedata.normalize("NFC", c.strip()))
    values, rules = _reference_parse_text(nfc)
    assert [None if pd.isna(v) else v for v in parsed.values] == values
    got = sorted(zip(parsed.changes["label"], parsed.changes["rule"], strict=True))
    assert got == sorted(rules)
