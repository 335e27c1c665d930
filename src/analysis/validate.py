"""Validate: check typed columns against the catalogue with pandera schemas.

Values outside a variable's valid range are not errors of the file: they become missing and
are logged (the row is kept). Schemas are built from the catalogue, so adding an indicator to
``catalogue.yaml`` adds its check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.catalogue import Catalogue

if TYPE_CHECKING:  # pandera is imported when a check runs: a run that fails early never waits
    import pandera.pandas as pa

#: pandas dtype of each catalogue dtype after parsing
DTYPES = {
    "number": "float64",
    "integer": "Int64",
    "binary": "Int8",
    "category": "str",
    "date": "datetime64[us]",
    "datetime": "datetime64[us]",
    "text": "str",
}


def _bound(value: object, dtype: str) -> object:
    return pd.Timestamp(value) if dtype in ("date", "datetime") else float(value)


def warm_up() -> None:
    """Import pandera ahead of the first check (about 0.4 s), e.g. in a thread while raw files
    are read."""
    import pandera.pandas  # noqa: F401


def schema(catalogue: Catalogue, instrument: str, columns: list[str]) -> pa.DataFrameSchema:
    """The pandera schema of the given catalogue columns of an instrument (all nullable)."""
    import pandera.pandas as pa

    spec = catalogue.variables(instrument)
    checks: dict[str, pa.Column] = {}
    for name in columns:
        row = spec.loc[name]
        col_checks = []
        if row["min"] is not None and row["max"] is not None:
            col_checks.append(
                pa.Check.in_range(
                    _bound(row["min"], row["dtype"]),
                    _bound(row["max"], row["dtype"]),
                    name=f"range {row['min']}–{row['max']}",
                )
            )
        if row["dtype"] == "category":
            col_checks.append(pa.Check.isin(list(row["categories"])))
        checks[name] = pa.Column(
            DTYPES[row["dtype"]], checks=col_checks, nullable=True, coerce=False
        )
    return pa.DataFrameSchema(checks, strict=False, name=f"{instrument} questionnaire")


def out_of_range(df: pd.DataFrame, catalogue: Catalogue, instrument: str) -> pd.DataFrame:
    """Cells that fail their catalogue check: columns ``index``, ``column``, ``value``, ``check``.

    The schema checks each column's distinct values (a million answers holding five values are
    five checks) and every cell holding a failing value is reported. Raises pandera's error
    unchanged for failures that are not value checks (a wrong dtype is a bug in parsing, not a
    data problem).
    """
    from pandera.errors import SchemaErrors

    columns = [c for c in df.columns if c in catalogue.variables(instrument).index]
    checks = schema(catalogue, instrument, columns)
    distinct = {  # a column without value checks is only checked for its dtype
        c: df[c].dropna().drop_duplicates().array if checks.columns[c].checks else df[c].array[:0]
        for c in columns
    }
    n = max((len(v) for v in distinct.values()), default=0)

    def padded(values):  # to n rows with missing values (the schema allows them)
        at = np.arange(n)
        at[len(values) :] = -1
        return pd.api.extensions.take(values, at, allow_fill=True)

    values = pd.DataFrame({c: padded(v) for c, v in distinct.items()}, index=pd.RangeIndex(n))
    try:
        checks.validate(values, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
        value_failures = cases[cases["index"].notna()]
        if len(value_failures) < len(cases):
            raise
        found = []
        for column, fails in value_failures.groupby("column", sort=False):
            column = str(column)
            bad = values.loc[fails["index"].astype("int64").to_numpy(), column]
            check = dict(zip(bad, fails["check"].astype(str), strict=True))
            hit = df[column].isin(bad).to_numpy(dtype=bool)
            cells = df.loc[hit, column]
            found.append(
                pd.DataFrame(
                    {
                        "index": cells.index.to_numpy(),
                        "column": column,
                        "value": cells.to_numpy(dtype=object),
                        "check": [check[v] for v in cells],
                    }
                )
            )
        return pd.concat(found, ignore_index=True)
    return pd.DataFrame(columns=["index", "column", "value", "check"])
