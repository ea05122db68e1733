"""``reports/index.html``: a link to every report, one line per unit."""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from .. import __version__
from ..nb import LEVEL_NAMES, LEVELS
from .html import escape

log = logging.getLogger(__name__)

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; color: #212121;
       background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5em 2em 3em; background: #fff; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #e0e0e0; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #f5f5f5; }
a { color: #1565c0; }
.failed { color: #c62828; }
"""


def records(root: str | Path) -> list[dict[str, Any]]:
    """Every report record ``<year>/<level>/<unit>/<stage>.json`` under ``root``."""
    root = Path(root)
    found = []
    for path in sorted(root.glob("*/*/*/*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            log.warning("не читается запись об отчёте %s", path)
            continue
        record["year"] = path.parts[-4]
        record["folder"] = str(path.parent)
        found.append(record)
    return found


def write_index(root: str | Path, *, date: str = "") -> Path:
    """Write ``<root>/index.html`` from the report records; return its path.

    Units are grouped by year (latest first) and level; each row names the
    unit, links its stage reports (relative links) and shows its summary (the
    first non-empty summary among its stages). Failed reports are marked.
    """
    root = Path(root)
    groups: dict[tuple[str, str], dict[str, list]] = defaultdict(
        lambda: defaultdict(list)
    )
    for rec in records(root):
        groups[(rec["year"], rec.get("level", ""))][rec.get("unit_id", "")].append(rec)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="ru"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        "<title>Отчёты по единицам управления</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        "<h1>Отчёты по единицам управления</h1>",
    ]
    if any(
        r.get("public") is False
        for g in groups.values()
        for rs in g.values()
        for r in rs
    ):
        parts.append(
            '<p class="failed"><strong>Служебные отчёты: содержат малые группы и '
            "коды участников. Не публикуйте их.</strong></p>"
        )
    if not groups:
        parts.append("<p>Отчётов пока нет: запустите cyclo reports.</p>")
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    keys = sorted(groups, key=lambda k: (-_int(k[0]), order.get(k[1], 9)))
    for year, level in keys:
        units = groups[(year, level)]
        parts.append(
            f"<h2>{escape(year)}: {escape(LEVEL_NAMES.get(level, level))} "
            f"({len(units)})</h2>"
        )
        parts.append(
            "<table><thead><tr><th>Код</th><th>Единица</th><th>Отчёты</th>"
            "<th>Кратко</th></tr></thead><tbody>"
        )
        for unit_id in sorted(units):
            recs = sorted(
                units[unit_id],
                key=lambda r: (r.get("stage", ""), r.get("public") is False),
            )
            links = []
            for rec in recs:
                label = escape(rec.get("stage", "")[:2])
                if rec.get("public") is False:
                    label += " (служебный)"
                if rec.get("status") == "done" and rec.get("html"):
                    href = os.path.relpath(rec["html"], root).replace(os.sep, "/")
                    title = escape(rec.get("title", ""))
                    links.append(
                        f'<a href="{escape(href)}" title="{title}">{label}</a>'
                    )
                else:
                    error = escape(rec.get("error", ""))
                    links.append(
                        f'<span class="failed" title="{error}">{label}!</span>'
                    )
            summary = next((r["summary"] for r in recs if r.get("summary")), "")
            parts.append(
                f"<tr><td>{escape(unit_id)}</td>"
                f"<td>{escape(recs[0].get('name', unit_id))}</td>"
                f"<td>{' '.join(links)}</td><td>{escape(summary)}</td></tr>"
            )
        parts.append("</tbody></table>")
    footer = f"cyclo {__version__}" + (f" · {escape(date)}" if date else "")
    parts.append(f"<footer>{footer}</footer></main></body></html>")
    path = root / "index.html"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
