"""Index: the landing page listing every brief with its headline number and date.

Built from the stamps the build writes next to each report (``reports/_state``), so it can be
regenerated without executing anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from analysis import narrate, store
from analysis.render import css, esc
from analysis.stats.results import format_number, format_p


def records(out: Path) -> list[dict]:
    """The stamp of every built report (target, dependencies, summary record)."""
    rows = []
    for path in sorted((out / "_state").rglob("*.json")):
        if path.name == "slices.json":
            continue
        stamp = json.loads(path.read_text("utf-8"))
        if (out / f"{path.relative_to(out / '_state').with_suffix('')}.html").exists():
            rows.append(stamp)
    return rows


def index_html(stamps: list[dict]) -> str:
    """The index page: one table per language and wave."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for s in stamps:
        groups.setdefault((s["target"]["lang"], s["target"]["wave"]), []).append(s)
    parts = []
    for (lang, wave), items in sorted(groups.items(), key=lambda kv: (kv[0][0] != "vi", -kv[0][1])):
        h = narrate.INDEX[lang]
        rows = []
        overview = ""
        for s in sorted(items, key=lambda s: (s["target"]["period"], s["target"]["name"])):
            t, r = s["target"], s["record"]
            href = f"{lang}/{wave}/{t['slug']}.html"
            if t["kind"] == "overview":
                overview = f'<p><a href="{esc(href)}">{esc(h[7])}</a></p>'
                continue
            gap = r.get("headline_gap")
            gap_text = "" if gap is None else format_number(gap, lang)
            p = r.get("headline_p_holm")
            p_text = "" if p is None else format_p(p, lang).removeprefix("= ")
            name = f"{r.get('province', t['name'])} ({narrate.INDEX_PERIOD[t['period']][lang]})"
            rows.append(
                f'<tr><td><a href="{esc(href)}">{esc(name)}</a></td><td>{esc(r.get("headline", ""))}</td>'
                f"<td>{esc(gap_text)} {esc(r.get('headline_unit') or '')}</td><td>{esc(p_text)}</td>"
                f"<td>{esc(r.get('n_pilots', ''))}</td>"
                f'<td><time data-provenance="timestamp">{esc((r.get("generated_at") or "")[:10])}</time></td></tr>'
            )
        head = "".join(f'<th scope="col">{esc(c)}</th>' for c in h[1:7])
        parts.append(
            f'<section id="{esc(lang)}-{wave}"><h2>{esc(h[0])} — {wave} ({esc(lang)})</h2>{overview}'
            f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></section>"
        )
    toc = "".join(f'<li><a href="#{esc(lang)}-{wave}">{wave} ({esc(lang)})</a></li>'
                  for lang, wave in sorted(groups, key=lambda k: (k[0] != "vi", -k[1])))  # fmt: skip
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f'<title>{esc(narrate.INDEX["vi"][0])}</title><style>{css()}</style></head><body><main class="brief">'
        f"<h1>{esc(narrate.INDEX['vi'][0])} / {esc(narrate.INDEX['en'][0])}</h1>"
        f'<nav class="toc"><ol>{toc}</ol></nav>{"".join(parts)}</main></body></html>'
    )


def write_index(out: str | Path) -> Path:
    out = Path(out)
    return store.write(index_html(records(out)), out / "index.html")
