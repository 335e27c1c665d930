import pandas as pd
import pytest

from analysis import catalogue, privacy

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
