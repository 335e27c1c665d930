"""Plot: the brief's charts, as matplotlib figures, and their conversion to embeddable PNG.

Charts are drawn with matplotlib directly (seaborn's bootstrap intervals and grid machinery
cost more time than the analysis itself, see shared/notes/performance.md); intervals are the
analytic ones the statistics report. Labels come from the caller (the catalogue), in the
brief's language; DejaVu Sans, shipped with matplotlib, has every Vietnamese glyph.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PILOT, OTHER, HIGHLIGHT, MUTED = "#c0392b", "#2c7fb8", "#c0392b", "#9ecae1"
WIDTH = 7.0  # inches; at DPI this is the width of a phone screen ×2, and prints on A4
DPI = 96

plt.rcParams.update(
    {
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 9,
        "axes.titleweight": "bold",
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "svg.hashsalt": "brief",
        "svg.fonttype": "none",
        "font.sans-serif": ["DejaVu Sans", "Noto Sans", "Arial", "sans-serif"],
    }
)


def encode(fig: plt.Figure) -> str:
    """The figure as a ``data:`` URI of an SVG image (closed afterwards).

    SVG rather than PNG: about half the bytes and a third less drawing time for these charts
    (measured by scripts/bench_build.py), sharp at any zoom and in print. Text stays text
    (``svg.fonttype: none``), so the reader's fonts draw the Vietnamese diacritics; no date
    is written and ids are salted with a constant, so the same chart gives the same bytes.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _wrap(label: str, width: int = 28) -> str:
    words, lines, line = label.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join([*lines, line])


def distributions(
    df: pd.DataFrame,
    indicators: list[str],
    labels: dict[str, str],
    *,
    group: str = "pilot",
    group_labels: tuple[str, str] = ("Others", "Pilots"),
    ncols: int = 3,
) -> plt.Figure:
    """Small multiples: one panel per indicator, others as a box, pilots as points."""
    n = len(indicators)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 1.9 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, indicators, strict=False):
        others = df.loc[~df[group].astype(bool), name].dropna().to_numpy()
        pilots = df.loc[df[group].astype(bool), name].dropna().to_numpy()
        if len(others):
            ax.boxplot(
                [others],
                positions=[0],
                widths=0.5,
                orientation="horizontal",
                showfliers=False,
                patch_artist=True,
                boxprops={"facecolor": MUTED, "edgecolor": OTHER},
                medianprops={"color": OTHER},
                whiskerprops={"color": OTHER},
                capprops={"color": OTHER},
            )
        if len(pilots):
            ax.scatter(pilots, np.ones(len(pilots)), color=PILOT, s=18, zorder=3)
        ax.set_yticks(
            [0, 1], [f"{group_labels[0]} ({len(others)})", f"{group_labels[1]} ({len(pilots)})"]
        )
        ax.set_ylim(-0.6, 1.6)
        ax.set_title(_wrap(labels.get(name, name), 34), loc="left")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def trends(
    means: pd.DataFrame,
    labels: dict[str, str],
    *,
    ncols: int = 3,
    group_labels: tuple[str, str] = ("Others", "Pilots"),
) -> plt.Figure:
    """Mean by wave, pilots vs others, with 95% intervals.

    ``means``: columns indicator, wave, pilot (bool), mean, ci_low, ci_high.
    """
    indicators = list(dict.fromkeys(means["indicator"]))
    nrows = int(np.ceil(len(indicators) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 1.9 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, indicators, strict=False):
        part = means[means["indicator"] == name]
        for is_pilot, color, label in (
            (False, OTHER, group_labels[0]),
            (True, PILOT, group_labels[1]),
        ):
            g = part[part["pilot"] == is_pilot].sort_values("wave")
            if g.empty:
                continue
            ax.plot(g["wave"], g["mean"], marker="o", ms=3, color=color, label=label)
            ax.fill_between(g["wave"], g["ci_low"], g["ci_high"], color=color, alpha=0.15, lw=0)
        ax.set_xticks(sorted(part["wave"].unique()))
        ax.set_title(_wrap(labels.get(name, name), 34), loc="left")
    for ax in list(axes.flat)[len(indicators) :]:
        ax.set_visible(False)
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def effects(table: pd.DataFrame, labels: dict[str, str], *, xlabel: str) -> plt.Figure:
    """Forest plot: one row per indicator, estimate with its interval.

    ``table``: columns indicator, estimate, ci_low, ci_high, significant (bool); estimates on a
    common scale (the caller standardises them).
    """
    t = table.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.32 * len(t) + 0.9))
    y = np.arange(len(t))
    colors = np.where(t["significant"].astype(bool), PILOT, OTHER)
    ax.hlines(y, t["ci_low"], t["ci_high"], colors=colors, lw=2)
    ax.scatter(t["estimate"], y, color=colors, zorder=3, s=16)
    ax.axvline(0, color="#555", lw=0.8)
    ax.set_yticks(y, [_wrap(labels.get(n, n), 48) for n in t["indicator"]], fontsize=8)
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig


def ranking(values: pd.DataFrame, highlight: object, *, xlabel: str, title: str) -> plt.Figure:
    """Horizontal bars, one per province (``values``: columns name, value; sorted by value),
    with ``highlight`` (a name) in colour."""
    v = values.sort_values("value").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.17 * len(v) + 0.9))
    colors = np.where(v["name"] == highlight, HIGHLIGHT, MUTED)
    ax.barh(np.arange(len(v)), v["value"], color=colors)
    ax.set_yticks(np.arange(len(v)), v["name"], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.set_ylim(-0.6, len(v) - 0.4)
    fig.tight_layout()
    return fig
