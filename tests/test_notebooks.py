"""Notebooks: committed clean, and the data-quality and exploration notebooks run end to end."""

import json
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"data_quality.ipynb", "exploration.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], (path.name, cell.id)
            assert cell.execution_count is None, (path.name, cell.id)
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"cell-\d{2,}", i) for i in ids), ids  # deterministic ids
    assert nb.metadata["kernelspec"]["name"] == "python3"


def execute(name: str, **parameters) -> nbformat.NotebookNode:
    return pm.execute_notebook(
        ROOT / "notebooks" / name,
        None,
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(ROOT / "notebooks"),
    )


def outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def html(nb) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in outputs(nb))


def text(nb) -> str:
    return "".join(o.get("text", "") for o in outputs(nb) if o.output_type == "stream")


CASES = {
    "quality-all": ("data_quality.ipynb", {}),
    "quality-new-units": (
        "data_quality.ipynb",
        {"province": "Phú Thọ", "units": "new", "lang": "en"},
    ),
    "exploration": ("exploration.ipynb", {}),
}


@pytest.fixture(scope="module")
def executed(processed):
    return {k: execute(name, data_dir=str(processed), **p) for k, (name, p) in CASES.items()}


def test_no_errors(executed):
    for key, nb in executed.items():
        errors = [o for o in outputs(nb) if o.output_type == "error"]
        assert not errors, (key, errors[:1])
        assert "Traceback" not in text(nb), key


def test_data_quality_sections(executed):
    for key in ("quality-all", "quality-new-units"):
        page = html(executed[key])
        for anchor in ("q-overview", "q-counts", "q-log", "q-duplicates", "q-unmatched",
                       "q-missing", "q-approx"):  # fmt: skip
            assert f'id="{anchor}"' in page, (key, anchor)
        assert page.count("data:image/svg+xml;base64,") == 1  # the missing-values heatmap
    assert "Chất lượng dữ liệu — tất cả các tỉnh" in html(executed["quality-all"])
    assert "Thiếu dữ liệu theo chỉ tiêu và tỉnh" in html(executed["quality-all"])
    new = html(executed["quality-new-units"])
    assert "Data quality — Phú Thọ (administrative units from 1 July 2025)" in new
    assert "vinh-phuc" in new and "quang-ninh" not in new  # old Vĩnh Phúc is in new Phú Thọ
    assert "Missing data by indicator and wave" in new


def test_exploration_outputs(executed):
    nb = executed["exploration"]
    page, printed = html(nb), text(nb)
    assert "Tỷ lệ hồ sơ nộp trực tuyến" in page  # the comparison table, in Vietnamese
    assert "p (hoán vị, Holm)" in page
    assert page.count("data:image/svg+xml;base64,") == 2  # distribution and trends
    assert "Randomization inference: dossiers_online_pct" in printed
    assert "Regression-adjusted difference: dossiers_online_pct" in printed
    assert "population" in printed  # a covariate in the coefficient table
    assert "Staggered difference-in-differences" in printed
    assert "điểm phần trăm" in printed  # the sentences, in the notebook's language


def test_no_personal_data_in_executed_notebooks(executed):
    found = set()
    for path in (ROOT / "data" / "raw" / "household").rglob("*.csv"):
        raw = path.read_text("utf-8-sig", errors="ignore")
        found.update(re.findall(r"\b0\d{9}\b", raw))  # phone numbers
        found.update(re.findall(r"\b\d{12}\b", raw))  # citizen IDs
    assert found
    for key, nb in executed.items():
        dump = json.dumps(nb, ensure_ascii=False)
        # every 10- and 12-digit window of every run of digits (as `n in dump` would find)
        windows = {
            run[i : i + k]
            for run in re.findall(r"\d{10,}", dump)
            for k in (10, 12)
            for i in range(len(run) - k + 1)
        }
        leaked = sorted(found & windows)
        assert not leaked, (key, leaked[:3])
