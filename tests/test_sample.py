"""Tests of the synthetic raw-export generator (analysis.sample)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.csv as pacsv
import pytest

from analysis import catalogue, sample
from analysis.catalogue import header_key

SEED_COMMUNES = {c: p for p, _, c, *_ in sample.SEED_PILOTS}


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "raw"
    sample.generate(out)
    return out


@pytest.fixture(scope="module")
def styles() -> pd.DataFrame:
    return sample.file_styles()


@pytest.fixture(scope="module")
def sim() -> sample.Simulation:
    return sample.simulate()


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _read(path: Path, fmt: str, title_rows: int = 0) -> tuple[list[str], list[list[object]]]:
    """Header and data rows of a raw file, decoded the way its format declares."""
    if fmt == "xlsx":
        rows = [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]
        return [str(h) for h in rows[title_rows]], rows[title_rows + 1 :]
    data = path.read_bytes()
    if fmt == "csv-bom":
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8-sig")
    elif fmt == "kobo-csv":
        assert not data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
    else:
        assert fmt == "csv-cp1258"
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def _file(root: Path, styles: pd.DataFrame, instrument: str, slug: str, wave: int):
    style = styles[(styles["slug"] == slug) & (styles["wave"] == wave)].iloc[0]
    path = root / instrument / str(wave) / f"{slug}.{style['extension']}"
    return path, style


def test_deterministic_byte_identical(sample_dir: Path, tmp_path: Path) -> None:
    sample.generate(tmp_path / "again")
    assert _digest(sample_dir) == _digest(tmp_path / "again")


def test_other_seed_differs(tmp_path: Path) -> None:
    a = sample.generate(tmp_path / "a", provinces=["vinh-phuc"], seed=1)
    b = sample.generate(tmp_path / "b", provinces=["vinh-phuc"], seed=2)
    rel = "commune/2023/vinh-phuc.csv"
    assert a[rel].read_bytes() != b[rel].read_bytes()


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        sample.generate(out, provinces=["vinh-phuc"])
    assert (out / "keep.txt").exists()
    files = sample.generate(out, provinces=["vinh-phuc"], overwrite=True)
    assert not (out / "keep.txt").exists()
    assert all(p.exists() for p in files.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]  # no temporary dirs left


def test_unknown_province_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown province"):
        sample.generate(tmp_path / "x", provinces=["atlantis"])


def test_layout(sample_dir: Path, styles: pd.DataFrame) -> None:
    expected = {"README.md", "pilots/pilot_registry.csv"}
    for row in styles.itertuples():
        for instrument in ("commune", "household"):
            expected.add(f"{instrument}/{row.wave}/{row.slug}.{row.extension}")
    assert set(_digest(sample_dir)) == expected
    assert len(styles["slug"].unique()) == 10
    assert set(styles["fmt"]) == {"csv-bom", "csv-cp1258", "xlsx", "kobo-csv"}
    assert all(re.fullmatch(r"[a-z0-9-]+", s) for s in styles["slug"])
    # one province switches style between waves, the others keep theirs
    per_province = styles.groupby("slug")[["fmt", "header"]].nunique().max(axis=1)
    assert (per_province > 1).sum() == 1


def test_files_open_in_their_format_and_headers_match_catalogue(
    sample_dir: Path, styles: pd.DataFrame
) -> None:
    cat = catalogue.load()
    for row in styles.itertuples():
        for instrument in ("commune", "household"):
            path, style = _file(sample_dir, styles, instrument, row.slug, row.wave)
            header, rows = _read(path, style["fmt"], style["title_rows"])
            assert rows, path
            names = [cat.match_header(instrument, h) for h in header]
            extras = {h for h, n in zip(header, names, strict=True) if n is None}
            assert extras == ({"_id", "_uuid"} if style["header"] == "kobo" else {"STT"}), path
            known = [n for n in names if n is not None]
            assert len(known) == len(set(known)), path
            assert set(known) == set(cat.variables(instrument)["name"]), path
            if style["header"] == "kobo":
                assert "_submission_time" in header
                assert all("/" in h for h in header if not h.startswith("_"))


def test_cp1258_round_trip() -> None:
    letters = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    text = "".join(unicodedata.normalize("NFC", v + t) for v in letters for t in tones)
    text += text.upper() + "đĐ Tổng cộng – Thừa Thiên Huế, Nguyễn Thị Thuỷ, gần 85%, 1.706,44"
    encoded = sample.encode_cp1258(text)
    assert unicodedata.normalize("NFC", encoded.decode("cp1258")) == text
    assert "à".encode("cp1258") in encoded  # precomposed where cp1258 has the letter


def test_cp1258_files_round_trip(sample_dir: Path, styles: pd.DataFrame) -> None:
    for row in styles[styles["fmt"] == "csv-cp1258"].itertuples():
        path, _ = _file(sample_dir, styles, "household", row.slug, row.wave)
        text = unicodedata.normalize("NFC", path.read_bytes().decode("cp1258"))
        assert sample.encode_cp1258(text) == path.read_bytes()


def test_seed_pilots_in_registry(sample_dir: Path) -> None:
    registry = pd.read_csv(sample_dir / "pilots/pilot_registry.csv", encoding="utf-8-sig")
    labels = catalogue.load().variables("pilots")["label_vi"]
    assert list(registry.columns) == labels.tolist()
    seeds = registry[registry[labels["source"]].ne("synthetic")]
    assert set(seeds[labels["commune"]]) == set(SEED_COMMUNES)
    assert seeds[labels["source"]].str.fullmatch(r"seed article 00[0-4]").all()
    assert registry[labels["source"]].isin(["synthetic", *seeds[labels["source"]]]).all()
    starts = pd.to_datetime(registry[labels["pilot_start"]], format="%Y-%m-%d")
    assert starts.between("2022-10-01", "2024-06-30").all()
    per_province = registry.groupby(labels["province"]).size()
    assert per_province.between(2, 6).all() and per_province.median() >= 3


def test_seed_pilots_and_figures_in_data(sample_dir: Path, styles: pd.DataFrame) -> None:
    slug = {int(r.province_code_old): r.slug for r in styles.itertuples()}
    for commune, province in SEED_COMMUNES.items():
        bare = re.sub(r"^(phuong|xa|thi tran) ", "", header_key(commune))
        for wave in sample.WAVES:
            path, style = _file(sample_dir, styles, "commune", slug[province], wave)
            header, rows = _read(path, style["fmt"], style["title_rows"])
            col = [catalogue.load().match_header("commune", h) for h in header].index("commune")
            assert any(bare in header_key(str(r[col])) for r in rows), (commune, wave)
    for _, commune, wave, var, raw, _ in sample.SEED_FIGURES:
        province = SEED_COMMUNES[commune]
        path, style = _file(sample_dir, styles, "commune", slug[province], wave)
        header, rows = _read(path, style["fmt"], style["title_rows"])
        names = [catalogue.load().match_header("commune", h) for h in header]
        cells = [r[names.index(var)] for r in rows if r[0] not in (None, "")]
        assert raw in cells, (commune, var, raw)


def test_planted_effect_documented() -> None:
    effects = sample.planted_effects()
    assert set(effects["indicator"]) == set(sample.PILOT_EFFECTS)
    cat = catalogue.load()
    assert set(sample.PILOT_EFFECTS) == set(cat.indicators("commune") + cat.indicators("household"))
    row = effects[(effects["indicator"] == "dossiers_online_pct") & (effects["cohort"] == 2023)]
    assert row.set_index("wave")["effect"].to_dict() == {2023: 10.0, 2024: 15.0}
    late = effects[(effects["cohort"] == 2024) & (effects["wave"] == 2024)].set_index("indicator")
    assert late["effect"].to_dict() == pytest.approx(sample.PILOT_EFFECTS)
    assert (effects["baseline_gap"] != 0).all()


def test_adoption_rule() -> None:
    starts = pd.Series(pd.to_datetime(["2022-10-01", "2023-06-30", "2023-07-01", "2024-06-15"]))
    assert sample.adoption_wave(starts).tolist() == [2023, 2023, 2024, 2024]


def test_planted_effect_visible_with_selection(sim: sample.Simulation) -> None:
    panel, effects = sim.panel, sample.planted_effects()
    for indicator in ("dossiers_online_pct", "vneid_pct", "dti_score", "official_email_pct"):
        means = panel.groupby(["pilot", "wave"])[indicator].mean().unstack()
        gap = means.loc[True] - means.loc[False]
        did = gap[2024] - gap[2022]
        att = effects[(effects["indicator"] == indicator) & (effects["wave"] == 2024)]
        cohorts = panel.loc[panel["pilot"] & panel["wave"].eq(2024), "adoption_wave"]
        expected = cohorts.map(att.set_index("cohort")["effect"]).mean()
        sd = sample._COMMUNE_MODELS[indicator].sd
        assert did == pytest.approx(expected, abs=0.25 * sd), indicator
        assert gap[2022] > 0.1 * sd, indicator  # selection: pilots start higher
        if expected:
            assert gap[2024] > did, indicator  # so the naive gap overstates the effect
    assert not panel.loc[panel["wave"].eq(2022), "treated"].any()
    households = sim.households.merge(sim.communes[["uid", "pilot"]], on="uid")
    means = households.groupby(["pilot", "wave"])["has_vneid"].mean().unstack()
    gap = means.loc[True] - means.loc[False]
    assert gap[2024] - gap[2022] > 0.04


def test_values_in_catalogue_range(sim: sample.Simulation) -> None:
    cat = catalogue.load()
    for instrument, frame in (("commune", sim.panel), ("household", sim.households)):
        for var in cat.variables(instrument, ("indicator", "context", "weight")).itertuples():
            if var.dtype in ("number", "integer", "binary"):
                values = frame[var.name]
                assert values.notna().all() and values.between(var.min, var.max).all(), var.name


def test_raw_values_equal_truth_in_kobo_file(sample_dir: Path, sim: sample.Simulation) -> None:
    """Rendering keeps the truth: a Kobo file's plainly written cells equal the true values."""
    path = sample_dir / "commune/2024/dak-lak.csv"
    header, rows = _read(path, "kobo-csv")
    names = [catalogue.load().match_header("commune", h) for h in header]
    raw = pd.DataFrame(rows, columns=[n or h for n, h in zip(names, header, strict=True)])
    truth = sim.panel[sim.panel["wave"].eq(2024)]
    official = {
        (vd, vc): (d, c)
        for d, c in zip(truth["district_name_old"], truth["commune_name_old"], strict=True)
        for vd in sample._name_variants(d).values()
        for vc in sample._name_variants(c).values()
    }
    value = truth.set_index(["district_name_old", "commune_name_old"])["dossiers_online_pct"]
    raw = raw[raw["dossiers_online_pct"].ne("")]
    keys = [official[k] for k in zip(raw["district"], raw["commune"], strict=True)]
    assert len(keys) > 25
    equal = raw["dossiers_online_pct"].astype(float).to_numpy() == value.loc[keys].to_numpy()
    assert equal.mean() > 0.9


def test_messiness_present(sample_dir: Path, sim: sample.Simulation, styles) -> None:
    data_rows = total_rows = blank_rows = 0
    oor = approx = 0
    cat = catalogue.load()
    for row in styles.itertuples():
        path, style = _file(sample_dir, styles, "commune", row.slug, row.wave)
        header, rows = _read(path, style["fmt"], style["title_rows"])
        col = [cat.match_header("commune", h) for h in header].index("commune")
        for r in rows:
            cells = ["" if c is None else str(c) for c in r]
            if not any(cells):
                blank_rows += 1
            elif cells[col] in ("Tổng cộng", "Cộng"):
                total_rows += 1
            else:
                data_rows += 1
                approx += any(re.match(r"^(gần|hơn|trên|khoảng|xấp xỉ) ", c) for c in cells)
                oor += any(re.fullmatch(r"-[1-5]", c) for c in cells)
    duplicates = data_rows - len(sim.panel)
    assert 0.01 * len(sim.panel) < duplicates < 0.06 * len(sim.panel)
    assert total_rows == int((styles["total_label"].notna() & styles["fmt"].ne("kobo-csv")).sum())
    assert blank_rows > 0 and approx > 0 and oor > 0


def test_personal_fields_in_household_files(sample_dir: Path, styles: pd.DataFrame) -> None:
    cat = catalogue.load()
    personal = set(cat.variables("household", "personal")["name"])
    assert personal == {"respondent_name", "phone", "citizen_id", "email", "comment"}
    duplicated = total = 0
    for row in styles.itertuples():
        path, style = _file(sample_dir, styles, "household", row.slug, row.wave)
        header, rows = _read(path, style["fmt"], style["title_rows"])
        names = [cat.match_header("household", h) for h in header]
        assert personal <= set(names), path
        ids = [r[names.index("citizen_id")] for r in rows if any(c not in (None, "") for c in r)]
        assert all(isinstance(i, str) and re.fullmatch(r"\d{12}", i) for i in ids), path
        assert any(i.startswith("0") for i in ids)
        names_col = [r[names.index("respondent_name")] for r in rows if r[0] not in (None, "")]
        assert all(len(str(n).split()) >= 3 for n in names_col if n)
        phones = [r[names.index("phone")] for r in rows if r[names.index("phone")]]
        assert all(re.fullmatch(r"(0|\+84 ?)\d{2,3}[ .]?\d{3}[ .]?\d{3,4}", p) for p in phones)
        duplicated += len(ids) - len(set(ids))
        total += len(ids)
    assert 0.003 < duplicated / total < 0.02  # ~1 % submitted twice, same citizen ID


def test_sample_size_under_5_mb(sample_dir: Path) -> None:
    assert sum(p.stat().st_size for p in sample_dir.rglob("*") if p.is_file()) <= 5_000_000


def test_readme_labels_synthetic(sample_dir: Path) -> None:
    text = (sample_dir / "README.md").read_text("utf-8")
    assert text.startswith("# SYNTHETIC")
    for word in ("dossiers_online_pct", "Windows-1258", "Kobo", "seed article", "Tổng cộng"):
        assert word in text


def test_national_mode_subset(tmp_path: Path) -> None:
    files = sample.generate(
        tmp_path / "national", scale="national", provinces=["vinh-phuc", "quang-ninh"]
    )
    tables = [f for f in files if f.endswith(".csv") and not f.startswith("pilots")]
    assert len(tables) == 2 * 2 * len(sample.WAVES)
    assert all(f.endswith((".csv", ".md")) for f in files)
    rows = {f: pacsv.read_csv(files[f]).num_rows for f in tables}
    sim = sample.simulate("national", provinces=["vinh-phuc", "quang-ninh"])
    units = sample._old_communes()
    official = units["province_code_old"].isin([22, 26]).sum()
    assert len(sim.communes) == official  # Trưng Nhị added, Hai Bà Trưng left out
    per_commune = sim.households.groupby(["uid", "wave"]).size()
    assert per_commune.between(45, 55).all()
    assert sum(rows[f] for f in tables if f.startswith("household")) >= len(sim.households)
    share = sim.communes["pilot"].mean()
    assert 0.04 < share < 0.06
    assert sim.communes.groupby("province_slug")["pilot"].any().all()  # every province has one
    registry = pd.read_csv(files["pilots/pilot_registry.csv"], encoding="utf-8-sig")
    assert {"Phường Trưng Nhị", "Xã Cẩm La"} <= set(registry.iloc[:, 2])
    assert np.isin(sim.communes["province_slug"].unique(), ["vinh-phuc", "quang-ninh"]).all()
