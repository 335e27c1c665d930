"""Render: HTML fragments for notebooks and the nbconvert export of an executed notebook.

Every text that comes from data is escaped here (``esc``): a commune name with markup in it is
shown as text, never interpreted. Fragments display in JupyterLab (``_repr_html_``) and become
the brief's HTML through the ``brief`` nbconvert template (outputs only, no code, small CSS).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the build's workers import this module to export HTML: no pandas there
    import pandas as pd

TEMPLATES = Path(__file__).parent / "templates"

#: MIME type of the machine-readable summary a brief's last cell emits (the build reads it for
#: the index page; the HTML template does not show it).
RECORD_MIME = "application/vnd.commune-dx.record+json"


def esc(value: object) -> str:
    """HTML-escaped text of ``value`` (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True, repr=False)
class Fragment:
    """A piece of HTML that notebooks display as is."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        # the text/plain twin of every output: short, not the HTML a second time (the executed
        # notebooks, and the messages from the kernel, would be twice as large)
        return f"<HTML fragment, {len(self.html):,} characters>"

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment(self.html + other.html)


def section(anchor: str, title: str, *parts: Fragment | str, level: int = 2) -> Fragment:
    """A titled section with an id the table of contents links to (``parts`` are HTML)."""
    body = "".join(p.html if isinstance(p, Fragment) else p for p in parts)
    return Fragment(
        f'<section id="{esc(anchor)}"><h{level}>{esc(title)}</h{level}>{body}</section>'
    )


def paragraph(text: str, cls: str = "") -> str:
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>"


def bullets(items: list[str], cls: str = "") -> str:
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<ul{attr}>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def table(df: pd.DataFrame, caption: str = "", note: str = "") -> str:
    """A table (all cells escaped) in a horizontally scrollable wrapper for small screens."""
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in df.columns)
    rows = []
    for row in df.itertuples(index=False):
        cells = "".join(f"<td>{esc(v)}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    foot = f'<p class="note">{esc(note)}</p>' if note else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{foot}"
    )


def figure(data_uri: str, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{data_uri}" alt="{esc(alt)}">{cap}</figure>'


@cache
def css() -> str:
    return resources.files("analysis").joinpath("templates/brief/brief.css").read_text("utf-8")


@cache
def exporter():
    """One exporter for the process (building it costs more than using it).

    nbconvert's generic :class:`~nbconvert.exporters.TemplateExporter` with the ``brief``
    template, not ``HTMLExporter``: that one re-parses its output with BeautifulSoup to give
    images without alt text a placeholder and JupyterLab cells a tab stop, which a brief does
    not need (every figure has its alt text, there are no JupyterLab cells) and which took
    three quarters of the export time.
    """
    from nbconvert import TemplateExporter

    return TemplateExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="brief",
        template_file="index.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
    )


def notebook_to_html(nb, *, title: str, lang: str) -> str:
    """The brief HTML of an executed notebook (a ``nbformat.NotebookNode``)."""
    body, _ = exporter().from_notebook_node(
        nb, resources={"brief_title": title, "brief_lang": lang, "brief_css": css()}
    )
    return body
