"""End-to-end cleaning on small hand-made exports, and its error paths."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import clean, provenance
from analysis.exceptions import RawDataError

COMMUNE = (
    "Tỉnh/Thành phố,Quận/Huyện,Xã/Phường/Thị trấn,Năm khảo sát,Thời điểm gửi phiếu,"
    "Tỷ lệ hồ sơ nộp trực tuyến,Tỷ lệ người dân kích hoạt định danh điện tử (VNeID),Số thôn,"
    "Người điền phiếu,Số điện thoại liên hệ\n"
    'Tỉnh Quảng Ninh,TX Quảng Yên,P. Yên Giang,2023,01/12/2023 09:00,"93,7%",gần 85%,8,Nguyễn Văn An,0912 345 678\n'
    'Quang Ninh,Thi xa Quang Yen,xa Cam La,2023,02/12/2023 10:00,"46,5",112,6,Trần Thị Bình,0987654321\n'
    'Quảng Ninh,Quảng Yên,Xã Cẩm La,2023,03/12/2023 10:00,"47,5",80,6,Trần Thị Bình,0987654321\n'
    "Quảng Ninh,Quảng Yên,Xã Không Tồn Tại,2023,03/12/2023 10:00,10,20,3,Lê C,0911111111\n"
    ",,,,,,,,,\n"
    'Tổng cộng,,,,,"60,1",,,,\n'
)
HOUSEHOLD = (
    "tinh,huyen,xa,nam,_submission_time,ho_ten,sdt,cccd,y_kien,trong_so,co_vneid,hai_long\n"
    "Quảng Ninh,Quảng Yên,Yên Giang,2023,2023-12-01T08:00:00+07:00,Phạm Văn Dũng,0912000111,001203004005,Rất tốt <script>alert(1)</script>,120,Có,5\n"
    "Quảng Ninh,Quảng Yên,Yên Giang,2023,2023-12-02T08:00:00+07:00,Phạm Văn Dũng,0912000111,001203004005,Sửa lại,120,Có,4\n"
    "Quảng Ninh,Quảng Yên,Cẩm La,2023,2023-12-01T09:00:00+07:00,Hoàng Thị Em,0912000222,002203004006,,95,Không,3\n"
)
PILOTS = "Tỉnh,Huyện,Xã,Ngày bắt đầu,Mô hình\nQuảng Ninh,Quảng Yên,Phường Yên Giang,15/10/2022,Xã phường chuyển đổi số\nQuảng Ninh,Quảng Yên,Xã Cẩm La,10/2022,Xã phường chuyển đổi số\n"
PERSONAL = [
    "Nguyễn Văn An",
    "0912 345 678",
    "Phạm Văn Dũng",
    "0912000111",
    "001203004005",
    "<script>",
    "Hoàng Thị Em",
]


def make_raw(root: Path, commune: str = COMMUNE) -> Path:
    raw = root / "raw"
    (raw / "commune").mkdir(parents=True)
    (raw / "household").mkdir()
    (raw / "commune" / "qn-2023.csv").write_bytes(commune.encode("utf-8-sig"))
    (raw / "household" / "qn-2023.csv").write_text(HOUSEHOLD, encoding="utf-8")
    (raw / "pilots.csv").write_text(PILOTS, encoding="utf-8")
    (raw / "README.md").write_text("synthetic", encoding="utf-8")
    return raw


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (hidden ones too), by relative path."""
    return provenance.file_digests([p for p in folder.rglob("*") if p.is_file()], folder)


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    raw = make_raw(root)
    before = digest(raw)
    result = clean.run(raw, root / "processed")
    return result, root, before


def test_outputs_written(cleaned):
    _, root, _ = cleaned
    names = sorted(p.name for p in (root / "processed").iterdir())
    assert names == [
        "cleaning_log.csv",
        "codebook.csv",
        "codebook.md",
        "communes.parquet",
        "duplicates.csv",
        "households.parquet",
        "manifest.json",
        "pilots.parquet",
        "unmatched_units.csv",
    ]


def test_raw_files_untouched(cleaned):
    _, root, before = cleaned
    assert digest(root / "raw") == before


def test_units_matched_with_both_periods(cleaned):
    result, _, _ = cleaned
    c = result.communes.set_index("commune_code_old", drop=False)
    assert {7162, 7171} <= set(c["commune_code_old"].dropna())
    assert c.loc[7171, "commune_name_new"].endswith("Phong Cốc")
    assert (c.loc[[7162, 7171], "province_code_old"] == 22).all()


def test_duplicates_keep_latest_and_are_reported(cleaned):
    result, _, _ = cleaned
    cam_la = result.communes[result.communes["commune_code_old"] == 7171]
    assert len(cam_la) == 1 and cam_la["dossiers_online_pct"].iloc[0] == 47.5
    d = result.duplicates
    assert set(d.loc[d["instrument"] == "commune", "source_row"]) == {3, 4}
    assert (
        "dossiers_online_pct"
        in d.loc[~d["kept"] & (d["instrument"] == "commune"), "differs_from_kept"].iloc[0]
    )
    households = result.households
    assert len(households) == 2
    assert households.loc[households["commune_code_old"] == 7162, "satisfaction"].tolist() == [4.0]


def test_unmatched_kept_and_listed(cleaned):
    result, _, _ = cleaned
    assert "Xã Không Tồn Tại" in result.communes["commune"].tolist()
    assert result.unmatched["commune"].tolist() == ["Xã Không Tồn Tại"]
    assert result.unmatched["match_status"].tolist() == ["unmatched"]


def test_log_records_each_correction(cleaned):
    result, _, _ = cleaned
    log = result.log
    rules = set(log["rule"])
    assert {
        "blank-row-dropped",
        "total-row-dropped",
        "approximate-value",
        "personal-column-not-read",
        "file-ignored (not a CSV/XLSX export)",
    } <= rules
    out = log[log["rule"].str.startswith("out-of-range")]
    assert out[["row", "variable", "old_value"]].values.tolist() == [[3, "vneid_pct", "112.0"]]
    approx = log[log["rule"] == "approximate-value"].iloc[0]
    assert (approx["file"], approx["row"], approx["old_value"]) == (
        "commune/qn-2023.csv",
        2,
        "gần 85%",
    )


def test_approximate_flag_and_locale_numbers(cleaned):
    result, _, _ = cleaned
    yg = result.communes[result.communes["commune_code_old"] == 7162].iloc[0]
    assert yg["dossiers_online_pct"] == pytest.approx(93.7)
    assert yg["vneid_pct"] == 85 and bool(yg["vneid_pct_approx"])


def test_pilot_status_and_adoption_wave(cleaned):
    result, _, _ = cleaned
    c = result.communes.set_index("commune_code_old")
    assert c.loc[7162, "adoption_wave"] == 2023 and bool(c.loc[7162, "treated"])
    assert not result.communes.loc[result.communes["commune_code_old"].isna(), "pilot"].any()


def test_no_personal_data_in_any_output(cleaned):
    _, root, _ = cleaned
    for path in (root / "processed").iterdir():
        if path.suffix == ".parquet":
            text = pd.read_parquet(path).to_csv()
        else:
            text = path.read_text("utf-8-sig")
        for value in PERSONAL:
            assert value not in text, (path.name, value)


def test_codebook_describes_every_column(cleaned):
    result, _, _ = cleaned
    book = result.codebook
    for table, df in [("communes", result.communes), ("households", result.households)]:
        assert set(book.loc[book["table"] == table, "column"]) == set(df.columns)
    assert book["label_vi"].notna().all()


def test_deterministic(tmp_path, cleaned):
    _, root, _ = cleaned
    clean.run(root / "raw", tmp_path / "again")
    assert digest(tmp_path / "again") == digest(root / "processed")


@pytest.mark.parametrize(
    ("old", "new", "row", "column", "message"),
    [
        ("Tỉnh Quảng Ninh,TX", "Tỉnh Quảng Nihn Xyz,TX", 2, "province", "unknown province"),
        ('"93,7%"', "abc", 2, "Tỷ lệ hồ sơ nộp trực tuyến", "value cannot be read"),
        (",2023,02/12", ",,02/12", 3, "Năm khảo sát", "required value is missing"),
    ],
)
def test_bad_input_names_file_row_column_and_writes_nothing(
    tmp_path, old, new, row, column, message
):
    raw = make_raw(tmp_path, COMMUNE.replace(old, new, 1))
    out = tmp_path / "processed"
    with pytest.raises(RawDataError) as err:
        clean.run(raw, out)
    assert (err.value.file, err.value.row, err.value.column) == ("commune/qn-2023.csv", row, column)
    assert message in str(err.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_cli_exit_code_and_previous_outputs_kept(tmp_path):
    raw = make_raw(tmp_path)
    out = tmp_path / "processed"
    command = [sys.executable, "-m", "analysis", "clean", "--raw", str(raw), "--out", str(out)]
    assert subprocess.run(command, capture_output=True).returncode == 0
    before = digest(out)
    (raw / "commune" / "qn-2023.csv").write_bytes(
        COMMUNE.replace('"93,7%"', "abc").encode("utf-8-sig")
    )
    failed = subprocess.run(command, capture_output=True, text=True)
    assert failed.returncode == 2
    assert "commune/qn-2023.csv, row 2, column 'Tỷ lệ hồ sơ nộp trực tuyến'" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert digest(out) == before


UNITS = [
    "province_code_old", "province_name_old", "district_code_old", "district_name_old",
    "commune_code_old", "commune_name_old", "commune_type_old", "match_status",
    "match_candidates", "match_source", "province_code_new", "province_name_new",
    "commune_code_new", "commune_name_new", "commune_codes_new", "commune_names_new",
    "n_successors", "commune_new_split", "commune_partly_merged",
]  # fmt: skip
PILOT = ["pilot_start", "adoption_wave", "programme", "pilot", "treated"]


def test_processed_columns_are_stable(cleaned):
    """The report code reads these names: catalogue columns as found, then the source, the
    official units and the pilot status, in this order."""
    result, _, _ = cleaned
    source = ["source_file", "source_row"]
    assert list(result.households.columns) == [
        "respondent_id", "province", "district", "commune", "wave", "submitted_at", "weight",
        "has_vneid", "satisfaction", "satisfaction_approx", *source, *UNITS, *PILOT,
    ]  # fmt: skip
    assert list(result.communes.columns)[-len(source + UNITS + PILOT) :] == source + UNITS + PILOT
    assert list(result.pilots.columns) == [
        "province", "district", "commune", "pilot_start", "programme", *source, *UNITS,
        "adoption_wave",
    ]  # fmt: skip
    assert list(result.log.columns) == clean.LOG_COLUMNS
    assert str(result.households["respondent_id"].dtype) == "int64"
    assert str(result.communes["commune_code_old"].dtype) == "Int64"


def test_log_is_ordered_by_file_then_row(cleaned):
    result, _, _ = cleaned
    log = result.log[result.log["file"] != "README.md"]
    order = log["file"].map({f: i for i, f in enumerate(dict.fromkeys(log["file"]))})
    assert order.is_monotonic_increasing
    for _, part in log.groupby("file"):
        rows = part["row"].fillna(-1)
        assert rows.is_monotonic_increasing


def test_future_dates_and_keys_out_of_range(tmp_path):
    """A submission time in the future is set missing; a planned pilot start is kept (never
    treated); a wave outside 2015–2030 stops the run."""
    next_year = pd.Timestamp.now().year + 1
    commune = COMMUNE.replace("01/12/2023 09:00", "01/12/2099 09:00")
    raw = make_raw(tmp_path, commune)
    (raw / "pilots.csv").write_text(
        PILOTS.replace("Xã Cẩm La,10/2022", f"Xã Cẩm La,03/{next_year}"), encoding="utf-8"
    )
    result = clean.clean(raw)
    rules = result.log.set_index("rule")
    assert rules.loc["future-date set missing", "old_value"] == "2099-12-01 09:00:00"
    assert rules.loc["future-date kept (planned start: not treated in any wave)", "row"] == 3
    cam_la = result.communes[result.communes["commune_code_old"] == 7171].iloc[0]
    assert bool(cam_la["pilot"]) and not bool(cam_la["treated"])
    assert cam_la["adoption_wave"] == next_year
    assert result.communes["submitted_at"].notna().sum() == len(result.communes) - 1
    with pytest.raises(RawDataError, match="valid range") as err:
        clean.clean(make_raw(tmp_path / "w", COMMUNE.replace(",2023,02/12", ",2031,02/12")))
    assert (err.value.row, err.value.column) == (3, "Năm khảo sát")


#: Place cells at the edges of the total-row screen: punctuation, digits and letters of other
#: scripts before the T or C, case, diacritics, length.
TOTAL_CELLS = [
    "Tổng cộng", "TỔNG CỘNG", "tong cong", "Cộng", "  — Tổng số:", "(Tổng)", "_Total", "TOTAL",
    "Toàn tỉnh", "toan huyen", "«Cộng»", "1. Tổng cộng", "Tổng cộng xã", "Ｔổng cộng", "Cẩm La",
    "Thị trấn Tiên Yên", "Cộng hoà", "ạTổng", "٣Tổng", "\u200bTổng cộng", "Tổng" + " " * 36 + "!",
    "Tổng" + " " * 37 + "!", "",
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["str", object])
def test_total_screen_keeps_what_the_plain_rule_finds(dtype):
    values = pd.Series(TOTAL_CELLS, dtype=dtype)
    expected = [clean._is_total(v) for v in TOTAL_CELLS]
    assert clean._totals(values).tolist() == expected
    assert 3 < sum(expected) < len(expected) - 3


def test_log_text_escapes_and_redacts_like_the_per_value_rule():
    cells = [
        "Yên\x07 Giang\u202e",
        "0912 345 678",
        "Cẩm La",
        "a@b.vn",
        "47.6",
        "Cẩm\u200fLa 0912345678",
    ]
    values = pd.Series([*cells, None, *cells], dtype=object)
    expected = [None if v is None else clean._visible(clean.privacy.redact_text(v)) for v in values]
    got = clean._log_text(values)
    assert [None if pd.isna(v) else v for v in got] == expected
    assert expected[0] == "Yên\\u0007 Giang\\u202e" and expected[1] == "[redacted]"


def test_cleaning_restores_the_memory_pool(tmp_path):
    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    with clean._memory_pool():
        inside = pa.default_memory_pool().backend_name
    assert pa.default_memory_pool().backend_name == before
    assert inside in ("jemalloc", before)


def test_as_of_fixes_the_moment_of_cleaning(tmp_path):
    raw = make_raw(tmp_path)
    later = clean.clean(raw, as_of="2030-01-01")
    assert "future-date set missing" not in set(later.log["rule"])
    # on 2 December 2023, 10:00 the submissions of 3 December had not happened yet
    earlier = clean.clean(raw, as_of=pd.Timestamp("2023-12-02 03:00", tz="UTC"))
    future = earlier.log[earlier.log["rule"] == "future-date set missing"]
    assert sorted(future["row"]) == [4, 5] and set(future["variable"]) == {"submitted_at"}
    again = clean.clean(raw, as_of="2023-12-02 10:00")
    pd.testing.assert_frame_equal(earlier.log, again.log)
    pd.testing.assert_frame_equal(earlier.communes, again.communes)
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "clean", "--raw", str(raw), "--out", str(tmp_path / "o"),
         "--as-of", "2023-12-02T10:00"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    log = pd.read_csv(tmp_path / "o" / "cleaning_log.csv")
    assert (log["rule"] == "future-date set missing").sum() == 2
