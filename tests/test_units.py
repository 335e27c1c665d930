"""Tests of analysis.units against the vietnam-provinces package data and the seed pilots."""

import unicodedata

import numpy as np
import pandas as pd
import pytest

from analysis import units as U

# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hoà Bình", "Hòa Bình"),  # tone mark on the first or the second vowel
        ("Ngọc Thuỵ", "Ngọc Thụy"),
        ("Khánh Hoà", "khanh hoa"),
        (unicodedata.normalize("NFD", "Đồng Tháp"), "Đồng Tháp"),  # NFD input
        ("  Cẩm   La ", "Cẩm La"),
        ("Đan Phượng", "dan phuong"),  # đ -> d
        ("Ðà Nẵng", "Đà Nẵng"),  # Latin eth sometimes typed for Đ
    ],
)
def test_normalize_equivalent_spellings(a, b):
    assert U.normalize_name(a) == U.normalize_name(b)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Xã Cẩm La", "cam la"),
        ("xa cam la", "cam la"),
        ("X. Cẩm La", "cam la"),
        ("Phường Yên Giang", "yen giang"),
        ("P. Yên Giang", "yen giang"),
        ("P.Yên Giang", "yen giang"),
        ("phuong yen giang", "yen giang"),
        ("Thị trấn Tam Sơn", "tam son"),
        ("TT Tam Sơn", "tam son"),
        ("TT. Tam Sơn", "tam son"),
        ("thi tran tam son", "tam son"),
        ("Thị xã Quảng Yên", "quang yen"),
        ("TX Quảng Yên", "quang yen"),
        ("TP. Hà Nội", "ha noi"),
        ("Thành phố Hà Nội", "ha noi"),
        ("thanh pho ha noi", "ha noi"),
        ("Tỉnh Vĩnh Phúc", "vinh phuc"),
        ("tinh vinh phuc", "vinh phuc"),
        ("Quận Long Biên", "long bien"),
        ("Q. Long Biên", "long bien"),
        ("Huyện Đan Phượng", "dan phuong"),
        ("H. Đan Phượng", "dan phuong"),
        ("huyen dan phuong", "dan phuong"),
        ("Đặc khu Côn Đảo", "con dao"),
        ("Phường 01", "1"),
        ("Bà Rịa - Vũng Tàu", "ba ria vung tau"),
        ("Đạ M'ri", "da mri"),
        # A type word spelt with other diacritics is part of the name.
        ("Phương Trung", "phuong trung"),
        ("Tịnh Biên", "tinh bien"),
        ("Quan Hóa", "quan hoa"),
        ("Xa Dung", "dung"),  # ASCII throughout: could be a prefix (the matchers try both)
        ("Xa Lý", "xa ly"),
        ("quan hoa", "hoa"),
        ("Xã", "xa"),  # nothing after the prefix: kept
    ],
)
def test_normalize_prefixes(name, key):
    assert U.normalize_name(name) == key


def test_normalize_keeps_word_order():
    assert U.normalize_name("Thạch Bàn") != U.normalize_name("Bàn Thạch")


def test_normalize_non_string():
    assert U.normalize_name(None) == ""  # type: ignore[arg-type]


def test_normalize_series_equals_normalize_name_on_every_package_name():
    names = pd.concat(
        [
            U.communes("old")["commune_name_old"],
            U.communes("new")["commune_name_new"],
            U.districts()["district_name_old"],
            U.provinces("old")["province_name_old"],
            U.provinces("new")["province_name_new"],
            pd.Series(["P.Yên Giang", "TP. HCM", "xa  song phuong", "Phường 001", "Thuỵ"]),
        ],
        ignore_index=True,
    )
    assert U.normalize_series(names).tolist() == [U.normalize_name(n) for n in names]


def test_parse_unique_equals_parse_one():
    names = U.communes("old")["commune_name_old"]
    lookalikes = ["Phường Phường Đúc", "Thị trấn P Rao", "Quan Hóa", "xa  song phuong", "TT.01"]
    odd = ["", " ", "xã", "P.", "x.'Cẩm La", "Xã (Cẩm La)", "H\u0301 Bông", "Đặc khu Côn Đảo"]
    names = pd.concat([names, _variants(names, 5), pd.Series(lookalikes + odd)], ignore_index=True)
    got = U._parse_unique(names)
    keys = got[["full", "rem", "loose", "ptype"]].fillna("").to_numpy().tolist()
    assert keys == [[k or "" for k in U._parse_one(n)] for n in names]
    assert got["prepared"].tolist() == [U._prepare(n) for n in names]


def test_normalize_series_keeps_index_and_missing():
    s = pd.Series(["Xã Cẩm La", None, "Xã Cẩm La"], index=[10, 20, 30])
    out = U.normalize_series(s)
    assert out.index.tolist() == [10, 20, 30]
    assert out[10] == out[30] == "cam la"
    assert pd.isna(out[20])


# --------------------------------------------------------------------------------------------
# Reference tables
# --------------------------------------------------------------------------------------------


def test_reference_sizes():
    assert len(U.provinces("old")) == 63
    assert len(U.provinces("new")) == 34
    assert len(U.districts()) == 696
    old = U.communes("old")
    assert (old["source"] == "package").sum() == 10_051
    assert set(old.loc[old["source"] == "supplement", "commune_name_old"]) >= {"Phường Trưng Nhị"}
    assert len(U.communes("new")) == 3_321
    assert set(old["commune_type_old"]) == {"xã", "phường", "thị trấn"}
    assert set(U.communes("new")["commune_type_new"]) == {"xã", "phường", "đặc khu"}


def test_codes_are_nullable_integers_with_period_suffix():
    for frame in (U.communes("old"), U.communes("new"), U.districts(), U.provinces("old")):
        code_cols = [c for c in frame.columns if "_code" in c]
        assert code_cols
        for col in code_cols:
            assert col.endswith(("_old", "_new"))
            assert frame[col].dtype == "Int64"


def test_invalid_period():
    with pytest.raises(ValueError):
        U.provinces("2024")  # type: ignore[arg-type]


def test_province_crosswalk_by_majority():
    p = U.provinces("old").set_index("province_name_old")["province_name_new"]
    assert p["Tỉnh Tiền Giang"] == "Tỉnh Đồng Tháp"  # the package's own mapping adds Tây Ninh
    assert p["Tỉnh Vĩnh Phúc"] == "Tỉnh Phú Thọ"
    assert p["Tỉnh Quảng Nam"] == "Thành phố Đà Nẵng"
    assert p["Tỉnh Long An"] == "Tỉnh Tây Ninh"
    assert p.notna().all()


def test_tien_giang_communes_all_go_to_dong_thap():
    cw = U.crosswalk()
    assert set(cw.loc[cw["province_code_old"] == 82, "province_code_new"]) == {82}
    # The one commune the package tags as Tiền Giang is phường 4 of Tân An, Long An.
    assert cw.loc[cw["commune_code_old"] == 27691, "province_code_old"].item() == 80


def test_crosswalk_agrees_with_the_public_package_api():
    from vietnam_provinces import Ward

    public = {(o.code.value, w.code.value) for w in Ward.iter_all() for o in w.get_legacy_sources()}
    cw = U.crosswalk()
    pkg = cw[cw["source"] == "package"]
    ours = set(
        zip(pkg["commune_code_old"].astype(int), pkg["commune_code_new"].astype(int), strict=True)
    )
    known_old = set(U.communes("old")["commune_code_old"].astype(int))
    assert {p for p in ours if p[0] in known_old} == public


def test_crosswalk_columns_and_successor_counts():
    cw = U.crosswalk()
    for col in ("commune_code_old", "commune_code_new", "n_successors"):
        assert col in cw.columns
    assert not cw.duplicated(["commune_code_old", "commune_code_new"]).any()
    counts = cw.groupby("commune_code_old")["commune_code_new"].transform("size")
    assert (cw["n_successors"] == counts).all()
    per_old = cw[cw["source"] == "package"].drop_duplicates("commune_code_old")
    # The package flags 573 old communes as split, but lists several successors for 441 only.
    assert per_old["partly_merged"].sum() == 573
    assert (per_old["n_successors"] > 1).sum() == 441
    assert not (per_old["n_successors"].gt(1) & ~per_old["partly_merged"]).any()


# --------------------------------------------------------------------------------------------
# Provinces
# --------------------------------------------------------------------------------------------


def test_match_provinces_aliases_and_prefixes():
    names = pd.Series(
        ["HCM", "TP HCM", "TP.HCM", "Hồ Chí Minh", "Thừa Thiên Huế", "Hà Nội", "TP. Hà Nội",
         "ha noi", "Hanoi", "tinh vinh phuc", "Bà Rịa – Vũng Tàu", "Khánh Hoà"],
        index=range(100, 112),
    )  # fmt: skip
    m = U.match_provinces(names)
    assert m.index.equals(names.index)
    assert list(m.columns) == ["province_code_old", "province_name_old", "status", "candidates"]
    assert (m["status"] == "matched").all()
    assert m["province_code_old"].tolist() == [79, 79, 79, 79, 46, 1, 1, 1, 1, 26, 77, 56]


def test_match_provinces_unmatched_and_missing():
    m = U.match_provinces(pd.Series(["Atlantis", None, "Ha Noii"]))
    assert m["status"].tolist() == ["unmatched", "unmatched", "unmatched"]
    assert m["province_code_old"].isna().all()
    assert "Thành phố Hà Nội" in m.loc[2, "candidates"]


def test_match_provinces_new_period():
    m = U.match_provinces(pd.Series(["Phú Thọ", "Đà Nẵng", "HCM", "Vĩnh Phúc"]), period="new")
    assert m["province_code_new"].tolist()[:3] == [25, 48, 79]
    assert m.loc[3, "status"] == "unmatched"
    assert "Tỉnh Phú Thọ" in m.loc[3, "candidates"]  # tells where the old province went


def test_suggest_provinces():
    assert U.suggest_provinces("Ha Noii")[0] == "Thành phố Hà Nội"
    assert U.suggest_provinces("Vinh Fuc", n=1) == ["Tỉnh Vĩnh Phúc"]
    assert len(U.suggest_provinces("Quang", n=3)) <= 3


# --------------------------------------------------------------------------------------------
# Communes, old period: the seed pilots
# --------------------------------------------------------------------------------------------

SEEDS = pd.DataFrame(
    [
        ("Quảng Ninh", "TX Quảng Yên", "P. Yên Giang", 7162, "7132"),
        ("Quảng Ninh", "thi xa Quang Yen", "xa cam la", 7171, "7183"),
        ("Quảng Nam", "H. Quế Sơn", "Quế Phú", 20650, "20650"),
        ("Vĩnh Phúc", "Sông Lô", "TT Tam Sơn", 8824, "8824"),
        ("Hà Nội", "Đan Phượng", "xa song phuong", 9829, "9784"),
        ("TP. Hà Nội", "Q. Long Biên", "Giang Biên", 121, "127;136"),
        ("Ha Noi", "quan long bien", "phuong thach ban", 148, "136;145;565;577"),
        ("Hà Nội", "Long Biên", "Ngọc Thuỵ", 118, "97;118"),
        ("Vĩnh Phúc", "TP Phúc Yên", "Phường Trưng Nhị", 8740, "8740"),
    ],
    columns=["tinh", "huyen", "xa", "code_old", "codes_new"],
)


def _match_seeds():
    return U.match_communes(SEEDS, province="tinh", district="huyen", commune="xa")


def test_seed_pilots_match_old_codes():
    m = _match_seeds()
    assert (m["match_status"] == "matched").all(), m
    assert m["commune_code_old"].tolist() == SEEDS["code_old"].tolist()
    assert m.loc[8, "match_source"] == "supplement"
    assert (m.loc[:7, "match_source"] == "package").all()
    assert m.loc[1, "commune_type_old"] == "xã"
    assert m.loc[3, "commune_type_old"] == "thị trấn"


def test_seed_pilots_new_units():
    new = U.attach_new_units(_match_seeds())
    assert new["commune_codes_new"].tolist() == SEEDS["codes_new"].tolist()
    names = new.set_index(SEEDS["xa"])["commune_name_new"]
    assert names["P. Yên Giang"] == "Phường Quảng Yên"
    assert names["xa cam la"] == "Phường Phong Cốc"
    assert names["Quế Phú"] == "Xã Xuân Phú"
    assert names["TT Tam Sơn"] == "Xã Tam Sơn"
    assert names["xa song phuong"] == "Xã Đan Phượng"
    assert names["Phường Trưng Nhị"] == "Phường Phúc Yên"
    prov = new.set_index(SEEDS["xa"])["province_name_new"]
    assert prov["Quế Phú"] == "Thành phố Đà Nẵng"
    assert prov["TT Tam Sơn"] == prov["Phường Trưng Nhị"] == "Tỉnh Phú Thọ"
    assert prov["P. Yên Giang"] == "Thành phố Quảng Ninh"
    split = new.set_index(SEEDS["xa"])
    assert split.loc["Giang Biên", "commune_names_new"] == "Phường Việt Hưng;Phường Phúc Lợi"
    assert split.loc["Giang Biên", "commune_new_split"]
    assert pd.isna(split.loc["Giang Biên", "commune_code_new"])
    assert split.loc["phuong thach ban", "n_successors"] == 4
    assert split.loc["Ngọc Thuỵ", "commune_names_new"] == "Phường Hồng Hà;Phường Bồ Đề"
    assert not split.loc["Quế Phú", "commune_new_split"]
    assert new["commune_code_new"].dtype == "Int64"


def test_every_package_name_matches_itself():
    old = U.communes("old")
    m = U.match_communes(
        old, province="province_name_old", district="district_name_old", commune="commune_name_old"
    )
    ok = m["match_status"] == "matched"
    assert (m.loc[ok, "commune_code_old"] == old.loc[ok, "commune_code_old"]).all()
    # The package lists xã Đông Khê twice in TP Thanh Hóa (16387, 16408): rightly ambiguous.
    assert set(old.loc[~ok, "commune_code_old"]) == {16387, 16408}
    new = U.communes("new")
    m = U.match_communes(
        new, province="province_name_new", commune="commune_name_new", period="new"
    )
    assert (m["match_status"] == "matched").all()
    assert (m["commune_code_new"] == new["commune_code_new"]).all()
    d = U.districts()
    p = U.match_provinces(d["province_name_old"])
    assert (p["province_code_old"] == d["province_code_old"]).all()


def test_diacritics_break_ties_only_when_given():
    df = pd.DataFrame(
        {
            "p": ["Lào Cai", "Lào Cai", "Lao Cai", "Gia Lai", "Gia Lai"],
            "d": ["Sa Pa", "Sa Pa", "Sa Pa", "Chư Prông", "Chư Prông"],
            "c": ["Phường Sa Pa", "Phường Sa Pả", "phuong sa pa", "Xã Ia Băng", "Ia Bang"],
        }
    )
    m = U.match_communes(df, province="p", district="d", commune="c")
    assert m["commune_code_old"].tolist()[:2] == [3001, 3002]
    assert m["match_status"].tolist() == ["matched", "matched", "ambiguous", "matched", "ambiguous"]
    assert m.loc[3, "commune_code_old"] == 23905


def test_seed_pilots_without_district():
    seeds = SEEDS.drop(index=4)  # Song Phượng needs its district (see the next test)
    m = U.match_communes(seeds, province="tinh", commune="xa")
    assert (m["match_status"] == "matched").all(), m
    assert m["commune_code_old"].tolist() == seeds["code_old"].tolist()


def test_same_name_elsewhere_never_matches():
    df = pd.DataFrame(
        {
            "p": ["Hà Nội", "Hà Nội", "Hà Nội", "Hà Nội", "Hà Nội"],
            "d": ["Đan Phượng", "Hoài Đức", None, None, "Long Biên"],
            "c": ["xa song phuong", "xa song phuong", "xa song phuong", "Song Phượng", "Cẩm La"],
        }
    )
    m = U.match_communes(df, province="p", district="d", commune="c")
    assert m.loc[0, "commune_code_old"] == 9829  # Song Phượng, Đan Phượng
    assert m.loc[1, "commune_code_old"] == 9874  # Song Phương, Hoài Đức
    assert m.loc[2, "match_status"] == "ambiguous"  # ASCII, no district
    assert "9829" in m.loc[2, "match_candidates"] and "9874" in m.loc[2, "match_candidates"]
    assert pd.isna(m.loc[2, "commune_code_old"])
    assert m.loc[3, "commune_code_old"] == 9829  # spelt with its own diacritics
    assert m.loc[4, "match_status"] == "unmatched"  # Cẩm La is in Quảng Ninh, not Hà Nội
    # And across provinces: Cẩm La of Quảng Ninh is never found from Hà Nội.
    m2 = U.match_communes(df.iloc[[4]], province="p", commune="c")
    assert m2["match_status"].item() == "unmatched"


def test_word_order_matters():
    df = pd.DataFrame({"p": ["Hà Nội"], "d": ["Long Biên"], "c": ["Bàn Thạch"]})
    m = U.match_communes(df, province="p", district="d", commune="c")
    assert m["match_status"].item() == "unmatched"
    assert pd.isna(m["commune_code_old"].item())


def test_ambiguous_type_within_district_and_prefix_resolves_it():
    df = pd.DataFrame({"p": ["Hà Nội"] * 3, "d": ["Gia Lâm"] * 3, "c": ["Yên Viên", "TT Yên Viên", "xa yen vien"]})  # fmt: skip
    m = U.match_communes(df, province="p", district="d", commune="c")
    assert m["match_status"].tolist() == ["ambiguous", "matched", "matched"]
    assert m["commune_type_old"].tolist()[1:] == ["thị trấn", "xã"]
    assert m.loc[0, "district_code_old"] == 18  # the district itself matched


def test_names_that_look_like_prefixes():
    df = pd.DataFrame(
        {
            "p": ["Thừa Thiên Huế", "Quảng Nam", "Hà Nội", "Hà Nội", "Quảng Ngãi", "Quảng Ninh"],
            "c": ["Phường Đúc", "P Rao", "Phương Trung", "quan hoa", "Tịnh Hà", "xa Cẩm La"],
        }
    )
    m = U.match_communes(df, province="p", commune="c")
    assert m["match_status"].tolist() == ["matched"] * 6, m
    assert m["commune_name_old"].tolist() == [
        "Phường Phường Đúc",
        "Thị trấn P Rao",
        "Xã Phương Trung",
        "Phường Quan Hoa",
        "Thị trấn Tịnh Hà",
        "Xã Cẩm La",
    ]


def test_ambiguous_district_searches_all_of_them():
    # Hà Tĩnh has both huyện Kỳ Anh and thị xã Kỳ Anh.
    df = pd.DataFrame({"p": ["Hà Tĩnh", "Hà Tĩnh"], "d": ["Ky Anh", "TX Kỳ Anh"], "c": ["Kỳ Tân", "Kỳ Hoa"]})  # fmt: skip
    m = U.match_communes(df, province="p", district="d", commune="c")
    assert m["match_status"].tolist() == ["matched", "matched"]
    assert m["district_name_old"].tolist() == ["Huyện Kỳ Anh", "Thị xã Kỳ Anh"]


def test_unmatched_and_ambiguous_are_reported_not_dropped():
    df = pd.DataFrame(
        {
            "p": ["Quảng Nam", "Atlantis", "Hà Nội", "Hà Nội", "Hà Nội"],
            "d": ["Nông Sơn", "x", None, "Đan Phượng", "Long Biên"],
            "c": ["Quế Lộc", "y", "xa song phuong", "Song Phượng", "Thach Ban Moi"],
        },
        index=["a", "b", "c", "d", "e"],
    )
    m = U.match_communes(df, province="p", district="d", commune="c")
    assert m.index.tolist() == df.index.tolist()
    assert m["match_status"].tolist() == ["unmatched", "unmatched", "ambiguous", "matched", "unmatched"]  # fmt: skip
    # Nông Sơn was merged into Quế Sơn before the package's snapshot: say where Quế Lộc is.
    assert "district not matched" in m.loc["a", "match_candidates"]
    assert "Xã Quế Lộc [20671], Huyện Quế Sơn" in m.loc["a", "match_candidates"]
    assert m.loc["a", "province_code_old"] == 49
    assert "province not matched" in m.loc["b", "match_candidates"]
    assert "closest: Phường Thạch Bàn [148]" in m.loc["e", "match_candidates"]
    assert m["match_source"].isna().tolist() == [True, True, True, False, True]

    review = U.review_table(m, df)
    assert review.index.tolist() == ["a", "b", "c", "e"]
    assert {"p", "d", "c", "match_status", "match_candidates"} <= set(review.columns)
    assert review.loc["c", "c"] == "xa song phuong"


def test_review_table_for_provinces():
    names = pd.DataFrame({"tinh": ["Hà Nội", "Atlantis"]})
    review = U.review_table(U.match_provinces(names["tinh"]), names)
    assert review["tinh"].tolist() == ["Atlantis"]
    assert review["match_status"].tolist() == ["unmatched"]


def test_match_communes_argument_errors():
    df = pd.DataFrame({"p": ["Hà Nội"], "d": ["Long Biên"], "c": ["Giang Biên"]})
    with pytest.raises(KeyError):
        U.match_communes(df, province="p", commune="missing")
    with pytest.raises(ValueError):
        U.match_communes(df, province="p", commune="c", period="2025")  # type: ignore[arg-type]
    # No districts after 2025: a district column is ignored.
    new = pd.DataFrame({"p": ["Hà Nội"], "d": ["Gia Lâm"], "c": ["Phúc Lợi"]})
    m = U.match_communes(new, province="p", district="d", commune="c", period="new")
    assert m["commune_code_new"].item() == 136


# --------------------------------------------------------------------------------------------
# Supplement
# --------------------------------------------------------------------------------------------


def test_supplement_is_sourced_and_consistent_with_the_package():
    from vietnam_provinces import legacy

    sup = U._supplement()
    assert {"commune_code_old", "commune_name_old", "source", "successor_code_old"} <= set(sup)
    assert sup["source"].str.len().gt(20).all()
    cw = U.crosswalk().set_index("commune_code_old")
    old = U.communes("old")
    for row in sup.itertuples():
        # the successor is a package unit of the same district, with the recorded name ...
        succ = legacy.Ward.from_code(legacy.WardCode(row.successor_code_old))
        assert succ.name == row.successor_name_old
        assert succ.district_code.value == row.district_code_old
        # ... whose new unit is the recorded one
        assert row.commune_code_new in set(cw.loc[[row.successor_code_old], "commune_code_new"])
        in_pkg = old[
            (old["source"] == "package") & (old["commune_name_old"] == row.commune_name_old)
        ]
        assert bool(len(in_pkg)) == row.in_package


def test_hai_ba_trung_is_the_successor_of_trung_nhi():
    # 8740 was phường Trưng Nhị (2021-era list); in the package it is phường Hai Bà Trưng, and
    # Phúc Yên has neither Trưng Trắc nor Trưng Nhị any more.
    old = U.communes("old")
    pkg = old[old["source"] == "package"]
    assert (
        pkg.loc[pkg["commune_code_old"] == 8740, "commune_name_old"].item() == "Phường Hai Bà Trưng"
    )
    phuc_yen = set(pkg.loc[pkg["district_code_old"] == 244, "commune_name_old"])
    assert not {"Phường Trưng Nhị", "Phường Trưng Trắc"} & phuc_yen


def test_supplement_rows_match_by_name_and_reach_new_units():
    df = pd.DataFrame(
        {
            "p": ["Vĩnh Phúc", "Vinh Phuc", "Vĩnh Phúc", "Vĩnh Phúc"],
            "d": ["Phúc Yên", None, "Sông Lô", "Phúc Yên"],
            "c": ["trung nhi", "P. Trưng Trắc", "Như Thuỵ", "Hai Bà Trưng"],
        }
    )
    m = U.match_communes(df, province="p", district="d", commune="c")
    assert m["match_status"].tolist() == ["matched"] * 4
    assert m["match_source"].tolist() == ["supplement"] * 3 + ["package"]
    assert m["commune_code_old"].tolist() == [8740, 8734, 8827, 8740]
    new = U.attach_new_units(m)
    assert new["commune_name_new"].tolist() == [
        "Phường Phúc Yên",
        "Phường Phúc Yên",
        "Xã Tam Sơn",
        "Phường Phúc Yên",
    ]
    assert (new["province_code_new"] == 25).all()


def test_que_phuoc_gets_a_successor_from_the_supplement():
    cw = U.crosswalk()
    row = cw[cw["commune_code_old"] == 20674]
    assert row["commune_name_new"].tolist() == ["Xã Quế Phước"]
    assert row["source"].tolist() == ["supplement"]


# --------------------------------------------------------------------------------------------
# Old → new attach, and the new period
# --------------------------------------------------------------------------------------------


def test_attach_new_units_without_successor_or_commune():
    df = pd.DataFrame({"commune_code_old": [1651, None], "province_code_old": [4, 82]})
    out = U.attach_new_units(df)
    assert out["n_successors"].tolist() == [0, 0]
    assert out["commune_code_new"].isna().all()
    assert out["province_name_new"].tolist() == ["Tỉnh Cao Bằng", "Tỉnh Đồng Tháp"]
    assert list(df.columns) == ["commune_code_old", "province_code_old"]  # input untouched
    with pytest.raises(KeyError):
        U.attach_new_units(pd.DataFrame({"x": [1]}))


def test_attach_new_units_province_from_commune_only():
    out = U.attach_new_units(pd.DataFrame({"commune_code_old": [20650]}))
    assert out["province_code_new"].item() == 48


def test_match_communes_new_period():
    df = pd.DataFrame(
        {
            "p": ["Phú Thọ", "Phu Tho", "Quảng Ninh", "Đà Nẵng", "Hà Nội", "Hà Nội", "Đồng Tháp",
                  "Đồng Tháp", "Hải Phòng", "Hà Nội", "Hà Nội"],
            "c": ["Phường Phúc Yên", "xa tam son", "P. Phong Cốc", "Xuân Phú", "Việt Hưng",
                  "phuc loi", "P. Mỹ Tho", "my tho", "Đặc khu Bạch Long Vĩ", "Cẩm La", "Đan Phượng"],
        }
    )  # fmt: skip
    m = U.match_communes(df, province="p", commune="c", period="new")
    assert {"province_code_new", "commune_code_new", "commune_name_new", "match_status"} <= set(m)
    assert "commune_code_old" not in m.columns
    assert m["commune_code_new"].tolist()[:7] == [8740, 8824, 7183, 20650, 127, 136, 28261]
    assert m.loc[7, "match_status"] == "ambiguous"  # phường Mỹ Tho and xã Mỹ Thọ
    assert m.loc[8, "commune_type_new"] == "đặc khu"
    assert m.loc[9, "match_status"] == "unmatched"  # Cẩm La is not a new unit
    assert m.loc[10, "commune_code_new"] == 9784


# --------------------------------------------------------------------------------------------
# Scale
# --------------------------------------------------------------------------------------------


def _variants(names: pd.Series, rng_seed: int) -> pd.Series:
    """The same names written as people do: ASCII, abbreviated prefixes, NFD, odd spacing."""
    ascii_ = names.str.normalize("NFD").str.replace("[\u0300-\u036f]", "", regex=True)
    ascii_ = ascii_.str.replace("đ", "d").str.replace("Đ", "D").str.lower()
    short = names.str.replace("^Phường ", "P. ", regex=True).str.replace(
        "^Thị trấn ", "TT ", regex=True
    )
    nfd = names.str.normalize("NFD")
    spaced = "  " + names.str.replace(" ", "  ") + " "
    pick = pd.Series(range(len(names)), index=names.index).sample(frac=1, random_state=rng_seed) % 5
    out = names.copy()
    for k, variant in enumerate((ascii_, short, nfd, spaced), start=1):
        out = out.where(pick.reindex(names.index) != k, variant)
    return out


def test_match_100000_rows():
    real = U.communes("old")
    real = real[real["source"] == "package"].sample(3_000, random_state=7)
    rows = real.sample(100_000, replace=True, random_state=8).reset_index(drop=True)
    df = pd.DataFrame(
        {
            "tinh": _variants(rows["province_name_old"], 1),
            "huyen": _variants(rows["district_name_old"], 2),
            "xa": _variants(rows["commune_name_old"], 3),
        }
    )
    m = U.match_communes(df, province="tinh", district="huyen", commune="xa")
    assert len(m) == 100_000
    assert m.index.equals(df.index)
    ok = m["match_status"] == "matched"
    assert ok.mean() > 0.99  # ASCII can make a few same-district names ambiguous
    assert (m.loc[ok, "commune_code_old"] == rows.loc[ok, "commune_code_old"]).all()
    assert (m.loc[~ok, "match_status"] == "ambiguous").all()
    new = U.attach_new_units(m)
    assert len(new) == 100_000


def test_reference_tables_are_kept_on_disk_between_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def table(period):
        calls.append(period)
        return pd.DataFrame({"period": [period], "n": [len(calls)]})

    first = U._kept(table)("old")
    again = U._kept(table)("old")  # as a new process would: read back, not built
    pd.testing.assert_frame_equal(first, again)
    assert calls == ["old"]
    (kept,) = (tmp_path / "cache").glob("table-old-*.pickle")
    kept.write_bytes(b"damaged")  # a damaged file is built again and replaced
    assert U._kept(table)("old")["n"].item() == 2
    assert U._kept(table)("old")["n"].item() == 2
    other = kept.with_name("table-old-0000000000000000.pickle")  # of another version
    other.write_bytes(b"another version")
    kept.unlink()
    U._kept(table)("old")  # written again: the other version's file goes
    U._kept(table)("new")
    assert sorted(p.name for p in (tmp_path / "cache").glob("*.pickle")) == [
        f"table-new-{U._cache_key()}.pickle",
        f"table-old-{U._cache_key()}.pickle",
    ]


def test_reference_tables_work_without_a_writable_cache(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(blocked / "cache"))
    got = U._kept(lambda: pd.DataFrame({"a": [1]}))()
    assert got["a"].item() == 1


def test_kept_reference_tables_equal_freshly_built_ones():
    kept = [(U._commune_ref, ("old",)), (U._commune_ref, ("new",)), (U._crosswalk, ()),
            (U._successors, ())]  # fmt: skip
    for builder, args in kept:
        fresh = builder.__wrapped__.__wrapped__(*args)
        pd.testing.assert_frame_equal(builder(*args), fresh)


# --------------------------------------------------------------------------------------------
# Matching engine: the vectorised steps against the merges and loops they replace
# --------------------------------------------------------------------------------------------


def test_join_lists_pairs_as_an_inner_merge_does():
    rng = np.random.default_rng(0)
    left, right = rng.integers(-1, 40, 500), rng.integers(-1, 40, 300)
    i, j = U._join(left, right)
    merged = pd.DataFrame({"k": left, "i": range(500)}).merge(
        pd.DataFrame({"k": right, "j": range(300)}), on="k"
    )
    merged = merged[merged["k"] >= 0]
    assert i.tolist() == merged["i"].tolist()
    assert j.tolist() == merged["j"].tolist()


def _hits_by_merge(q: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    r = ref[["uid", "block", "key", "ckey", "typ"]]
    q = q[q["block"].notna() & q["full"].notna()]
    by_rem = q.merge(r, left_on=["block", "rem"], right_on=["block", "key"])
    typed = by_rem[by_rem["ptype"].eq(by_rem["typ"]).fillna(False).astype(bool)]
    by_full = q.merge(r, left_on=["block", "full"], right_on=["block", "key"])
    by_loose = q.merge(r, left_on=["block", "loose"], right_on=["block", "key"])
    qc = q.assign(crem=q["loose"].str.replace(" ", ""), cfull=q["full"].str.replace(" ", ""))
    compact = pd.concat(
        [qc.merge(r, left_on=["block", c], right_on=["block", "ckey"]) for c in ("crem", "cfull")]
    )
    parts = [
        p[["qid", "uid"]].assign(tier=t) for t, p in enumerate((typed, by_full, by_loose, compact))
    ]
    return pd.concat(parts, ignore_index=True)


def _pair_candidates_by_merge(pairs, names, ref):
    pairs = pairs[pairs["block"].notna().to_numpy() & (pairs["name"].to_numpy() >= 0)]
    searched = pairs[["block", "name"]].drop_duplicates(ignore_index=True)
    q = names.take(searched["name"]).reset_index(drop=True)
    found = _hits_by_merge(q.assign(qid=searched.index, block=searched["block"].array), ref)
    keyed = pairs.merge(searched.rename_axis("key").reset_index(), on=["block", "name"])
    found = keyed[["qid", "key"]].merge(found.rename(columns={"qid": "key"}), on="key")
    return U._best(found[["qid", "uid", "tier"]])


def _break_ties_per_query(cands, info, ref):
    akeys = dict(zip(ref["uid"], ref["akey"], strict=True))
    keep = {}
    n = cands.groupby("qid")["uid"].transform("size")
    for qid, grp in cands[(n > 1) & cands["tier"].lt(3)].groupby("qid"):
        prepared, rest_prepared = info.loc[qid, ["prepared", "rest_prepared"]]
        src = prepared if grp["tier"].iloc[0] == 1 else rest_prepared
        if U._accented_re.search(unicodedata.normalize("NFD", prepared)):
            hits = [u for u in grp["uid"] if akeys[u] == U._accent_key(src)]
            if len(hits) == 1:
                keep[qid] = hits[0]
    return cands[~(cands["qid"].isin(keep) & cands["uid"].ne(cands["qid"].map(keep)))]


def test_pair_candidates_and_ties_equal_merges_and_loops():
    """Every package commune and a variant of it, searched in its district and in another of its
    province (queries of several blocks), and in its province (one block each, the path without
    a second _best): same candidates, same order."""
    ref = U._commune_ref("old")
    names = U._parse_unique(
        pd.concat(
            [ref["commune_name_old"], _variants(ref["commune_name_old"], 6)], ignore_index=True
        )
    )
    n = len(names)
    dist = pd.concat([ref["district_code_old"]] * 2, ignore_index=True)
    other = dist.groupby(pd.concat([ref["province_code_old"]] * 2, ignore_index=True)).transform(
        lambda d: d.sample(frac=1, random_state=1).to_numpy()
    )
    by_district = pd.DataFrame(
        {"qid": np.r_[0:n, 0:n], "block": pd.concat([dist, other]).array, "name": np.r_[0:n, 0:n]}
    )
    province = pd.concat([ref["province_code_old"]] * 2, ignore_index=True)
    by_province = pd.DataFrame({"qid": range(n), "block": province.array, "name": range(n)})
    for pairs, block in ((by_district, "district_code_old"), (by_province, "province_code_old")):
        r = ref.assign(block=ref[block])
        got = U._pair_candidates(pairs, names, r)
        want = _pair_candidates_by_merge(pairs, names, r)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
        broken = U._break_ties(got, names, r)
        assert len(broken) < len(got)  # there are ties the diacritics break
        pd.testing.assert_frame_equal(broken, _break_ties_per_query(got, names, r))
