import re

import pandas as pd
import pytest

from analysis import dataset
from analysis.brief import SECTIONS, Brief, BriefParams, resolve
from analysis.dataset import ParameterError


@pytest.fixture(scope="module")
def qn(processed):
    return Brief.build(
        province="Quảng Ninh", data_dir=str(processed), generated_at="2026-01-01T00:00:00+00:00"
    )


def test_seed_pilots_are_in_the_comparison(qn):
    pilots = qn.current.loc[qn.current["group"] == 1, "commune_code_old"]
    assert {7162, 7171} <= set(pilots)  # Yên Giang, Cẩm La
    names = qn.pilots_data().iloc[:, 0].tolist()
    assert "Phường Yên Giang" in names and "Xã Cẩm La" in names


def test_findings_are_three_to_five_sentences_with_hedges(qn):
    found = qn.key_findings()
    assert 3 <= len(found) <= 5
    text = " ".join(found)
    assert "Holm" in text
    assert "ngẫu nhiên" in text  # selection caveat: pilots were not randomised


def test_planted_effect_is_found_and_in_the_right_direction(qn):
    data = qn.comparison_data().set_index("outcome")
    assert data.loc["dossiers_online_pct", "difference"] > 0
    assert qn.did, "waves allow a difference-in-differences"
    did = qn.did["dossiers_online_pct"]
    assert did.ci_low < 11.6 < did.ci_high or did.estimate > 0


def test_sections_have_their_anchors_and_escape_text(qn):
    html = "".join(s.html for s in qn.sections("qn.xlsx"))
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in html
        assert f'href="#{anchor}"' in html
    assert "data:image/svg+xml;base64," in html
    assert "<script" not in html
    assert 'data-provenance="timestamp"' in html


def test_english(processed):
    brief = Brief.build(province="Quang Ninh", data_dir=str(processed), lang="en")
    assert brief.title().startswith("Commune digital transformation")
    assert "percentage points" in " ".join(brief.key_findings())


def test_new_units_group_old_provinces(processed):
    brief = Brief.build(province="Đà Nẵng", units="new", data_dir=str(processed))
    assert brief.place.period == "new"
    assert 20650 in set(brief.communes["commune_code_old"])  # Quế Phú, old Quảng Nam


def test_small_household_cells_are_suppressed(processed):
    brief = Brief.build(province="Quảng Ninh", data_dir=str(processed), min_cell=100_000)
    assert brief.household_table() is None
    assert "ít hơn 100000" in brief.households_section().html


def test_tables_for_excel(qn, tmp_path):
    path = tmp_path / "t.xlsx"
    record = qn.export(str(path))
    sheets = pd.read_excel(path, sheet_name=None)
    assert {"comparison", "pilots", "trends", "coverage", "missing", "households", "did"} <= set(
        sheets
    )
    assert record.data["province"] == "Quảng Ninh" and record.data["headline_gap"] is not None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"province": "Quang Nihn"}, r"unknown province 'Quang Nihn'; closest: .*Quảng Ninh"),
        ({"province": "Quảng Ninh", "wave": 2019}, r"wave 2019 is not in the data"),
        ({"province": "Cà Mau"}, r"no survey data for Tỉnh Cà Mau"),
        ({"province": "Quảng Ninh", "lang": "fr"}, r"lang must be one of"),
        ({"province": "Quảng Ninh", "alpha": 2}, r"alpha must be"),
    ],
)
def test_parameters_checked_with_clear_messages(processed, params, message):
    with pytest.raises(ParameterError, match=message):
        resolve(BriefParams(data_dir=str(processed), **params))


def test_province_without_pilots_is_refused(processed):
    data = dataset.load(processed)
    no_pilots = dataset.Dataset(**{**data.__dict__, "communes": data.communes.assign(pilot=False)})
    with pytest.raises(ParameterError, match="no pilot communes"):
        resolve(BriefParams(province="Quảng Ninh", data_dir=str(processed)), no_pilots)


def test_deterministic(processed):
    a = Brief.build(province="Hà Nội", data_dir=str(processed), generated_at="x")
    b = Brief.build(province="Hà Nội", data_dir=str(processed), generated_at="x")
    strip = re.compile(r"<time[^>]*>.*?</time>")
    assert [strip.sub("", s.html) for s in a.sections()] == [
        strip.sub("", s.html) for s in b.sections()
    ]
