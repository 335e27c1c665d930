import numpy as np
import pandas as pd
import pytest

from analysis.stats._frame import as_list, binary, codes, complete_rows, design


def test_as_list():
    assert as_list(None) == [] and as_list("a") == ["a"] and as_list(("a", "b")) == ["a", "b"]


def test_complete_rows_drops_missing_and_zero_weights():
    df = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0], "w": [1.0, 1.0, 0.0, 2.0], "o": 1})
    sub, notes = complete_rows(df, ["y", None, "w"], weights="w")
    assert list(sub.columns) == ["y", "w"] and sub["y"].tolist() == [1.0, 4.0]
    assert notes[0][0].startswith("2 of 4 rows dropped")
    with pytest.raises(KeyError):
        complete_rows(df, ["nope"])
    with pytest.raises(ValueError, match="negative"):
        complete_rows(df.assign(w=-1.0), ["y", "w"], weights="w")


def test_binary_and_codes():
    assert binary(pd.Series([True, False]), "t").tolist() == [1.0, 0.0]
    with pytest.raises(ValueError):
        binary(pd.Series([0, 2]), "t")
    with pytest.raises(TypeError):
        binary(pd.Series(["a", "b"]), "t")
    assert codes(pd.Series(["b", "a", "b"])).tolist() == [1, 0, 1]


def test_design_dummy_codes_strings():
    df = pd.DataFrame({"x": [1, 2, 3], "kind": pd.Series(["u", "r", "u"], dtype="str")})
    x, names = design(df, ["x", "kind"])
    assert names == ["x", "kind=u"]
    assert x.dtype == np.float64 and x[:, 1].tolist() == [1.0, 0.0, 1.0]
