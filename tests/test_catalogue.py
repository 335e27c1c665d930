import pytest

from analysis import catalogue
from analysis.exceptions import CatalogueError

CAT = catalogue.load()

SEED_INDICATORS = [
    "procedures_online_pct", "dossiers_online_pct", "online_dossiers_per_household_pct",
    "digital_signature_pct", "official_email_pct", "documents_digital_pct",
    "processing_time_cut_pct", "dti_score", "vneid_pct", "smartphone_pct", "broadband_pct",
    "ehealth_pct", "public_wifi_points", "digital_teams", "bank_account_pct", "epayment_pct",
    "cashless_school_fees_pct", "businesses_on_maps_pct", "ocop_ecommerce_pct",
]  # fmt: skip


def test_covers_the_seed_indicators_context_and_household_questions():
    assert set(SEED_INDICATORS) <= set(CAT.indicators("commune"))
    context = set(CAT.variables("commune", "context").index)
    assert {"population", "area_ha", "unit_type", "new_rural_status", "villages"} <= context
    household = set(CAT.variables("household").index)
    assert {
        "has_smartphone",
        "has_vneid",
        "used_online_service_12m",
        "uses_epayment",
        "satisfaction",
        "minutes_procedure",
        "weight",
    } <= household


def test_every_indicator_has_labels_range_and_direction():
    rows = CAT.table[CAT.table["kind"] == "indicator"]
    assert rows[["label_vi", "label_en", "unit", "section"]].notna().all().all()
    assert rows["min"].notna().all() and rows["max"].notna().all()
    assert rows["higher_is_better"].isin([True, False]).all()


def test_ratios_that_may_exceed_100():
    spec = CAT.variables("commune")
    assert spec.loc["online_dossiers_per_household_pct", "max"] > 108.94
    assert spec.loc["dossiers_online_pct", "max"] == 100


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("chinh_quyen_so/tthc_truc_tuyen", "procedures_online_pct"),
        ("TTHC trực tuyến (%)", "procedures_online_pct"),
        ("TY LE THU TUC HANH CHINH CUNG CAP TRUC TUYEN", "procedures_online_pct"),
        ("Tỉnh/TP", "province"),
        ("thong_tin/tinh", "province"),
        ("Xã/Phường", "commune"),
        ("nonsense", None),
    ],
)
def test_header_matching(header, name):
    assert CAT.match_header("commune", header) == name


def test_labels():
    assert CAT.label("vneid_pct", "en") == "Residents with an activated e-ID (VNeID)"
    with pytest.raises(KeyError):
        CAT.label("nope")


def test_bad_catalogue_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "variables:\n  - {name: x, instrument: commune, kind: wrong, dtype: number, level: commune,"
        " section: s, label_vi: a, label_en: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="kind"):
        catalogue.load(path)
