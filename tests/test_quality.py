"""Data quality: counts that add up, filters by province (old and new units), escaping."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import quality, stats
from analysis.brief import Brief
from analysis.dataset import Dataset, ParameterError, Place, load, resolve_province


@pytest.fixture(scope="module")
def data(processed) -> Dataset:
    return load(processed)


def old(name: str) -> Place:
    return resolve_province(name, "old")


def new(name: str) -> Place:
    return resolve_province(name, "new")


def tiny(**tables) -> Dataset:
    """A hand-made dataset: two provinces (old codes 1 and 2), one wave, two indicators."""
    communes = pd.DataFrame(
        {
            "wave": pd.array([2024, 2024, 2024, 2024, 2023], dtype="Int64"),
            "province_code_old": pd.array([1, 1, 2, 2, 2], dtype="Int64"),
            "province_name_old": ["Tỉnh A", "Tỉnh A", "Thành phố B", "Thành phố B", "Thành phố B"],
            "province_code_new": pd.array([9, 9, 9, 9, 9], dtype="Int64"),
            "province_name_new": ["Tỉnh C"] * 5,
            "dossiers_online_pct": [10.0, np.nan, np.nan, np.nan, 5.0],
            "dossiers_online_pct_approx": [True, False, False, False, False],
            "vneid_pct": [1.0, 2.0, 3.0, np.nan, 4.0],
            "vneid_pct_approx": [False, False, True, False, True],
            "source_file": ["a.csv", "a.csv", "b.csv", "b.csv", "b0.csv"],
            "source_row": [2, 3, 2, 4, 2],
        }
    )
    base = {
        "communes": communes,
        "households": pd.DataFrame(),
        "pilots": pd.DataFrame(),
        "log": pd.DataFrame(
            {
                "file": ["a.csv", "a.csv", "b.csv", "b.csv", "README.md"],
                "row": [2.0, np.nan, 3.0, 2.0, np.nan],
                "column": ["x", "y", None, "z", None],
                "variable": ["vneid_pct", None, None, "vneid_pct", None],
                "old_value": ["1.0", None, None, "-", None],
                "new_value": [1.0, None, None, None, None],
                "rule": [
                    "dot-decimal",
                    "unknown-column-ignored",
                    "blank-row-dropped",
                    "missing-marker",
                    "file-ignored (not a CSV/XLSX export)",
                ],
            }
        ),  # fmt: skip
        "duplicates": pd.DataFrame(
            {
                "instrument": ["commune"] * 4,
                "duplicate_group": [1, 1, 2, 2],
                "source_file": ["b.csv", "b.csv", "a.csv", "a.csv"],
                "source_row": [2, 5, 3, 6],
                "wave": [2024] * 4,
                "province": ["B"] * 2 + ["A"] * 2,
                "commune": ["<b>x</b>", "x", "y", "y"],
                "submitted_at": [None] * 4,
                "kept": [True, False, True, False],
                "differs_from_kept": [None, "commune;vneid_pct", None, "vneid_pct"],
            }
        ),
        "unmatched": pd.DataFrame(
            {
                "source_file": ["b.csv"],
                "source_row": [4],
                "wave": [2024],
                "province": ["B"],
                "district": ["<script>alert(1)</script>"],
                "commune": ["Xã & co"],
                "match_status": ["ambiguous"],
                "match_candidates": ["Xã X [1] | Xã Y [2]"],
                "instrument": ["commune"],
                "period": ["old"],
            }
        ),
        "manifest": {"raw_files": {"a.csv": "1", "b.csv": "2", "b0.csv": "3", "README.md": "4"}},
        "path": Path("."),
    }
    return Dataset(**{**base, **tables})


A, B, C = Place("old", 1, "Tỉnh A"), Place("old", 2, "Thành phố B"), Place("new", 9, "Tỉnh C")


# ----------------------------------------------------------------------------- hand-made


def test_hand_made_counts_and_attribution():
    d = tiny()
    c = quality.counts(d)
    assert (c["rows_read"] == c[quality.OUTCOMES].sum(axis=1)).all()
    assert c["rows_kept"].sum() == 5 and c["duplicates_removed"].sum() == 2
    assert c["blank_rows_dropped"].sum() == 1
    assert quality.overview(d).set_index("measure").loc["q_raw_files", "value"] == 4
    # row-level, group-level (the removed duplicate follows its kept row) and file-level
    assert quality.counts(d, A)["rows_read"].sum() == 2 + 1
    assert quality.counts(d, B)["rows_read"].sum() == 3 + 1 + 1
    assert quality.counts(d, C)["rows_read"].sum() == quality.counts(d)["rows_read"].sum()
    assert quality.log_entries(d, A)["rule"].tolist() == ["dot-decimal", "unknown-column-ignored"]
    assert len(quality.log_entries(d, B)) == 2  # README.md belongs to no province
    assert len(quality.unmatched_rows(d, A)) == 0 and len(quality.unmatched_rows(d, B)) == 1


def test_hand_made_log_and_duplicates():
    d = tiny()
    rule = quality.log_by_rule(d)
    assert rule["entries"].sum() == len(d.log)
    assert rule["share"].sum() == pytest.approx(1)
    var = quality.log_by_variable(d).set_index("variable")
    assert var.loc["vneid_pct", "entries"] == 2 and var.loc["vneid_pct", "files"] == 2
    assert var["entries"].sum() == len(d.log)
    top = quality.log_by_file(d, top=1)
    assert len(top) == 1 and top["file"].iloc[0] in ("a.csv", "b.csv")
    cols = quality.duplicate_columns(d).set_index("column")
    assert cols.loc["vneid_pct", "submissions"] == 2 and cols.loc["vneid_pct", "share"] == 1
    assert cols.loc["commune", "share"] == 0.5
    s = quality.duplicates_summary(d)
    assert s[["groups", "in_groups", "removed"]].iloc[0].tolist() == [2, 4, 2]


def test_hand_made_missingness_and_approximate():
    d = tiny()
    m = quality.missingness(d)
    assert list(m.columns) == ["A", "B"]  # short names, in code order
    assert m.loc["dossiers_online_pct", "A"] == 0.5
    assert m.loc["dossiers_online_pct", "B"] == pytest.approx(2 / 3)
    assert m.loc["vneid_pct", "B"] == pytest.approx(1 / 3)
    assert quality.missingness(d, B, by="wave").loc["dossiers_online_pct"].tolist() == [0, 1]
    assert quality.missingness(d, by=None, wave=2023)["all"].tolist() == [0, 0]
    a = quality.approximate(d).set_index("variable")
    assert a.loc["dossiers_online_pct", ["values", "approximate"]].tolist() == [2, 1]
    assert a.loc["vneid_pct", "share"] == 0.5


def test_sections_escape_data():
    d = tiny()
    html = "".join(f.html for f in quality.sections(d, None, "en"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html and "Xã &amp; co" in html
    assert 'id="q-unmatched"' in html and "ambiguous (several units match)" in html


# ----------------------------------------------------------------------------- bundled sample


def test_log_counts_add_up(data):
    rule = quality.log_by_rule(data)
    assert rule["entries"].sum() == len(data.log) == data.manifest["corrections"]
    assert quality.log_by_variable(data)["entries"].sum() == len(data.log)
    assert quality.log_by_file(data, top=None)["entries"].sum() == len(data.log)
    top = quality.log_by_file(data, top=5)
    assert len(top) == 5 and top["entries"].is_monotonic_decreasing
    for place in (old("Quảng Ninh"), new("Phú Thọ")):
        entries = quality.log_entries(data, place)
        assert quality.log_by_rule(data, place)["entries"].sum() == len(entries) > 0


def test_duplicates_removed_equals_manifest(data):
    removed = data.manifest["duplicates_removed"]
    assert quality.duplicates_summary(data)["removed"].sum() == removed > 0
    assert quality.counts(data)["duplicates_removed"].sum() == removed
    assert quality.duplicate_columns(data)["share"].between(0, 1).all()


def test_rows_add_up_to_the_manifest(data):
    c = quality.counts(data)
    assert (c["rows_read"] == c[quality.OUTCOMES].sum(axis=1)).all()
    kept = c.groupby("table")["rows_kept"].sum()
    assert kept.to_dict() == data.manifest["rows"]
    f = quality.files(data)
    assert f["rows_read"].sum() == c["rows_read"].sum()
    assert f["log_entries"].sum() == len(data.log) - 1  # README.md was not read
    o = quality.overview(data).set_index("measure")["value"]
    assert o["q_raw_files"] == len(data.manifest["raw_files"])
    assert o["q_files_read"] + o["q_files_ignored"] == o["q_raw_files"]
    assert o["unmatched"] == data.manifest["unmatched_rows"]


def test_missingness_shares(data):
    m = quality.missingness(data)
    assert ((m >= 0) & (m <= 1)).all().all()
    qn = old("Quảng Ninh")
    rows = data.communes[data.communes["province_code_old"] == qn.code]
    expected = rows["dossiers_online_pct"].isna().mean()
    assert m.loc["dossiers_online_pct", "Quảng Ninh"] == pytest.approx(expected)
    by_wave = quality.missingness(data, qn, by="wave")
    w2024 = rows[rows["wave"] == 2024]["vneid_pct"].isna().mean()
    assert by_wave.loc["vneid_pct", "2024"] == pytest.approx(w2024)
    hh = quality.missingness(data, by="wave", instrument="household")
    assert ((hh >= 0) & (hh <= 1)).all().all() and "satisfaction" in hh.index
    a = quality.approximate(data)
    assert a["share"].between(0, 1).all() and (a["approximate"] <= a["values"]).all()


def test_province_filter_old_and_new_units(data):
    vp, pt = old("Vĩnh Phúc"), new("Phú Thọ")  # old Vĩnh Phúc is part of new Phú Thọ
    pd.testing.assert_frame_equal(quality.counts(data, vp), quality.counts(data, pt))
    files = quality.files(data, vp)["file"]
    assert files.str.contains("vinh-phuc|pilots/").all()
    assert set(quality.log_entries(data, vp)["file"]) <= set(files)
    kept = quality.counts(data, old("Quảng Ninh")).groupby("table")["rows_kept"].sum()
    assert kept["communes"] == len(data.communes_of(old("Quảng Ninh")))
    assert kept["households"] == len(data.households_of(old("Quảng Ninh")))
    # every province of the data, old units: together they hold every row and every log
    # entry, except those about files that span provinces (the registry) or hold no rows
    places = data.provinces("old")
    total = sum(quality.counts(data, p)["rows_kept"].sum() for p in places)
    assert total == sum(data.manifest["rows"].values())
    attributed = pd.concat([quality.log_entries(data, p) for p in places])
    rest = quality.log_entries(data).merge(attributed, how="left", indicator=True)
    assert rest[rest["_merge"] == "left_only"]["file"].str.match(r"pilots/|README").all()
    um = sum(len(quality.unmatched_rows(data, p)) for p in places)
    assert um == len(data.unmatched)
    dup = sum(quality.duplicates_summary(data, p)["removed"].sum() for p in places)
    assert dup == data.manifest["duplicates_removed"]


def test_open_data_checks_parameters(processed):
    data, place = quality.open_data(processed)
    assert place is None
    assert quality.open_data(processed, "Phú Thọ", "new")[1] == new("Phú Thọ")
    with pytest.raises(ParameterError, match="unknown province"):
        quality.open_data(processed, "Nowhere")
    with pytest.raises(ParameterError, match="no survey data"):
        quality.open_data(processed, "Cà Mau")
    with pytest.raises(ParameterError, match="units"):
        quality.open_data(processed, "Quảng Ninh", "older")
    with pytest.raises(ParameterError, match="lang"):
        quality.header(data, None, "fr")


def test_sections_are_deterministic_and_bilingual(data):
    place = old("Quảng Ninh")
    first = [f.html for f in quality.sections(data, place, "vi")]
    assert first == [f.html for f in quality.sections(data, place, "vi")]
    html = "".join(first)
    for anchor in quality.SECTIONS:
        assert f'id="{anchor}"' in html
    assert html.count("data:image/svg+xml;base64,") == 1
    assert "Thiếu dữ liệu theo chỉ tiêu và kỳ" in html and "1.286" in html  # vi thousands
    en = "".join(f.html for f in quality.sections(data, None, "en"))
    assert "Missing data by indicator and province" in en
    assert re.search(r"Rows read: 14,\d{3}", en)


# ----------------------------------------------------------------------------- exploration


@pytest.fixture(scope="module")
def brief(processed) -> Brief:
    return Brief.build(province="Quảng Ninh", data_dir=str(processed), lang="en")


def test_exploration_helpers_match_the_brief(brief):
    name = "dossiers_online_pct"
    assert quality.check_indicator(brief, name) == brief.label(name)
    with pytest.raises(ParameterError, match="choose one of"):
        quality.check_indicator(brief, "population")
    mine = quality.indicator_trends(brief, name)
    theirs = brief.trends_data()
    theirs = theirs[theirs["indicator"] == name].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    assert quality.did_for(brief, name) is brief.did[name]
    other = quality.did_for(brief, "smartphone_pct")
    assert isinstance(other, stats.DiDResult) and other.outcome == "smartphone_pct"
    cov = quality.covariates(brief.current)
    assert cov and set(cov) <= {"population", "households", "area_ha", "villages"}
    reg = stats.regress(brief.current, outcome=name, treatment="group", covariates=cov)
    text = quality.describe(reg, brief, name)
    assert text.startswith("Regression-adjusted difference") and "percentage points" in text
    assert quality.describe(None, brief, name).startswith("Not enough waves")
    fig = quality.indicator_figure(brief, name).html
    assert fig.count("data:image/svg+xml;base64,") == 2
