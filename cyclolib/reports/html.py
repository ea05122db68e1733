"""Export an executed notebook to one self-contained HTML page.

The page has no code, no prompts and no scripts; figures are embedded as data
URLs; a table of contents is built from the headings; the page makes no request
to any server (a Content-Security-Policy forbids it). The exporter is built once
per process and reused for every report.
"""

from __future__ import annotations

import copy
import html
import logging
import re
from pathlib import Path

from ..nb import SUMMARY_MIME

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"


_HEADING = re.compile(r"<h([1-3])([^>]*)>(.*?)</h\1>", re.S)
_ANCHOR = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
_EXTERNAL = re.compile(
    r"<(?:script|link|iframe|img|source)\b[^>]*\b(?:src|href)\s*=\s*[\"']?"
    r"(?:https?:)?//",
    re.I,
)

_EXPORTER = None


def exporter():
    """The process's HTML exporter (configured once)."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        _EXPORTER = HTMLExporter(
            template_name="cyclo",
            extra_template_basedirs=[str(TEMPLATE_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            anchor_link_text="",
        )
    return _EXPORTER


def summary(nb) -> str:
    """The one-line summary a notebook displayed with ``ctx.summary``, or ''."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if SUMMARY_MIME in data:
                return str(data[SUMMARY_MIME].get("text", ""))
    return ""


def _clean(nb, *, title: str, footer: str):
    """A copy fit for publishing: stable cell ids, no stderr, no summary."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index}"
        if "outputs" in cell:
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and SUMMARY_MIME not in o.get("data", {})
            ]
    nb.metadata["cyclo"] = {"title": title, "footer": footer}
    return nb


def add_toc(page: str) -> str:
    """Number the h2/h3 headings, drop nbconvert's anchors, insert the contents."""
    page = _ANCHOR.sub("", page)
    entries = []

    def number(match: re.Match) -> str:
        level, inner = match.group(1), match.group(3)
        if level == "1":
            return f"<h1>{inner}</h1>"
        anchor = f"sec-{len(entries) + 1}"
        entries.append((level, anchor, _TAG.sub("", inner).strip()))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'

    page = _HEADING.sub(number, page)
    if not entries:
        return page.replace("<!-- cyclo:toc -->", "")
    items = "\n".join(
        f'<li class="toc-h{lvl}"><a href="#{anchor}">{text}</a></li>'
        for lvl, anchor, text in entries
    )
    nav = f'<nav class="toc"><p>Содержание</p><ol>\n{items}\n</ol></nav>'
    # The contents go after the page's title, before the first section
    page = page.replace("<!-- cyclo:toc -->", "")
    first_h1_end = page.find("</h1>")
    if first_h1_end >= 0:
        cut = page.find("</div>", first_h1_end)
        cut = first_h1_end + len("</h1>") if cut < 0 else cut + len("</div>")
        return page[:cut] + nav + page[cut:]
    return page.replace("<main>", "<main>" + nav, 1)


def external_references(page: str) -> list[str]:
    """Tags of ``page`` that would load something from a server (should be none)."""
    return [m.group(0) for m in _EXTERNAL.finditer(page)]


def to_html(nb, *, title: str, footer: str = "") -> str:
    """Render an executed notebook as a self-contained HTML page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    title : str
        The page title (unit and date included by the caller); escaped here.
    footer : str
        A line at the bottom of the page; escaped here.

    Raises
    ------
    RuntimeError
        When the page would load anything from outside.
    """
    page, _ = exporter().from_notebook_node(_clean(nb, title=title, footer=footer))
    page = add_toc(page)
    page = re.sub(r"\n\s*\n+", "\n", page)
    external = external_references(page)
    if external:
        raise RuntimeError(
            "Отчёт обращается к внешним ресурсам: " + "; ".join(external[:3])
        )
    return page


def escape(text: str) -> str:
    """Escape a name for HTML (quotes included)."""
    return html.escape(str(text), quote=True)
