"""The expert's written conclusions, kept per unit and year for the reports.

Conclusions live in ``data/conclusions/<year>/<unit_id>.yaml`` (another folder
when ``$CYCLO_CONCLUSIONS`` is set): one entry per section of notebook 05, in
Russian. An expert writes them in JupyterLab with the editor that notebook 05
shows under each heading (:func:`conclusions_editor`, which calls
:func:`save_conclusion`), or edits the file by hand; the reports show each
entry under its heading. The notebook itself is the template every unit
shares: nothing written into its cells reaches the reports.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from ..config import DATA_DIR

log = logging.getLogger(__name__)

__all__ = [
    "SECTIONS",
    "conclusions_dir",
    "conclusions_path",
    "load_conclusions",
    "save_conclusions",
    "save_conclusion",
    "conclusions_editor",
]

#: Environment variable naming the folder of conclusions.
CONCLUSIONS_ENV = "CYCLO_CONCLUSIONS"

#: Section key -> the heading it belongs to.
SECTIONS: dict[str, str] = {
    "comparisons": "сравнения",
    "distributions": "распределения",
    "objectivity": "признаки необъективности",
    "context": "контекст и добавленная ценность",
    "low_results": "школы с низкими результатами",
    "summary": "общий вывод",
}


def conclusions_dir() -> Path:
    """The folder of conclusions: ``$CYCLO_CONCLUSIONS`` or ``data/conclusions``."""
    env = os.environ.get(CONCLUSIONS_ENV)
    return Path(env) if env else DATA_DIR / "conclusions"


def conclusions_path(year: int, unit_id: str, *, folder: Path | None = None) -> Path:
    """Where the conclusions of a unit and year are kept."""
    return Path(folder or conclusions_dir()) / str(year) / f"{unit_id}.yaml"


def load_conclusions(
    year: int, unit_id: str, *, folder: Path | None = None
) -> dict[str, str]:
    """The conclusions of a unit and year: section key -> text ({} when none).

    Raises
    ------
    ValueError
        When the file is not a mapping of known sections to texts; the message
        names the file and the allowed sections.
    """
    path = conclusions_path(year, unit_id, folder=folder)
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    bad = [k for k in data if k not in SECTIONS] if isinstance(data, dict) else [data]
    if bad:
        raise ValueError(
            f"{path}: неизвестный раздел выводов «{bad[0]}»; допустимы "
            f"{', '.join(SECTIONS)}"
        )
    return {k: str(v).strip() for k, v in data.items() if v}


class _Dumper(yaml.SafeDumper):
    """Writes texts of several lines as YAML literal blocks (``|``)."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _check_sections(keys, where: str) -> None:
    bad = [k for k in keys if k not in SECTIONS]
    if bad:
        raise ValueError(
            f"{where}: неизвестный раздел выводов «{bad[0]}»; допустимы "
            f"{', '.join(SECTIONS)}"
        )


def save_conclusions(
    year: int,
    unit_id: str,
    conclusions: Mapping[str, str],
    *,
    folder: Path | None = None,
) -> Path:
    """Write the whole conclusions file of a unit and year.

    Parameters
    ----------
    year : int
        The year of the results the conclusions are about.
    unit_id : str
        The unit (region, municipality or school code).
    conclusions : mapping of str to str
        Section key (:data:`SECTIONS`) -> text. Texts are stripped of leading
        and trailing blank space; empty texts are left out.
    folder : Path, optional
        The folder of conclusions (:func:`conclusions_dir` by default).

    Returns
    -------
    Path
        The file written, ``<folder>/<year>/<unit_id>.yaml``, in UTF-8, the
        sections in the order of :data:`SECTIONS`, texts of several lines as
        literal blocks. :func:`load_conclusions` reads back the same texts.

    Raises
    ------
    ValueError
        For an unknown section or a unit code that cannot name a file.

    Notes
    -----
    The file is written to a temporary name and renamed, so that a report
    never reads half of it.
    """
    if not unit_id or any(ch in str(unit_id) for ch in "/\\") or unit_id in (".", ".."):
        raise ValueError(
            f"Код единицы «{unit_id}» не годится для имени файла выводов: "
            "ожидался код без «/» и «\\»"
        )
    path = conclusions_path(year, unit_id, folder=folder)
    _check_sections(conclusions, str(path))
    data = {
        key: str(conclusions[key]).strip()
        for key in SECTIONS
        if key in conclusions and str(conclusions[key] or "").strip()
    }
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text if data else "")
    os.replace(tmp, path)
    log.info("выводы эксперта записаны: %s", path)
    return path


def save_conclusion(
    year: int,
    unit_id: str,
    section: str,
    text: str,
    *,
    folder: Path | None = None,
) -> Path:
    """Write one section of a unit's conclusions, keeping the others.

    An empty ``text`` removes the section. Returns the file written; raises
    ``ValueError`` as :func:`save_conclusions` (and when the file on disk is
    not a conclusions file, as :func:`load_conclusions`).
    """
    _check_sections([section], str(conclusions_path(year, unit_id, folder=folder)))
    current = load_conclusions(year, unit_id, folder=folder)
    current[section] = text
    return save_conclusions(year, unit_id, current, folder=folder)


def conclusions_editor(
    year: int, unit_id: str, section: str, *, folder: Path | None = None
):
    """A JupyterLab editor of one section: a text area and a «Сохранить» button.

    The text area holds the section as saved; the button writes it with
    :func:`save_conclusion` and says where (or what went wrong). Returns an
    ``ipywidgets.VBox`` to display.
    """
    import ipywidgets as w

    _check_sections([section], str(conclusions_path(year, unit_id, folder=folder)))
    saved = load_conclusions(year, unit_id, folder=folder).get(section, "")
    area = w.Textarea(
        value=saved,
        placeholder=f"Вывод эксперта: {SECTIONS[section]}",
        layout=w.Layout(width="100%", height="8em"),
    )
    button = w.Button(description="Сохранить", icon="save")
    status = w.Label(value="")

    def save(_=None) -> None:
        try:
            path = save_conclusion(year, unit_id, section, area.value, folder=folder)
        except (OSError, ValueError) as exc:
            status.value = f"Не сохранено: {exc}"
            return
        status.value = f"Сохранено в {path}; отчёты покажут этот текст."

    button.on_click(save)
    box = w.VBox([area, w.HBox([button, status])])
    box.save = save  # the button's action, for tests and scripts
    return box
