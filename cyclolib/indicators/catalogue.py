"""The indicator catalogue of ``params/indicators.yaml``, validated on load.

Each entry says what an indicator measures, by which formula of the suite it
is computed, at which levels it applies, where it comes from (a federal or
regional normative document, or a local decision), how far its approval has
gone, who is responsible for it and what values are expected. A mistake in
the file is reported with the file, the entry, the field, what was expected
and what was found.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..config import PARAMS_DIR
from .formulas import PRODUCES

log = logging.getLogger(__name__)

LEVELS = ("region", "municipality", "school", "class")
DIRECTIONS = {
    "higher": "чем больше, тем лучше",
    "lower": "чем меньше, тем лучше",
    "none": "без направления",
}
STATUSES = {"draft": "проект", "review": "на экспертизе", "approved": "утверждён"}
SOURCE_LEVELS = {
    "federal": "федеральный",
    "regional": "региональный",
    "municipal": "муниципальный",
    "school": "школьный",
}
FORMULA_PREFIX = "cyclolib.indicators.formulas."
REQUIRED = (
    "id",
    "name",
    "measures",
    "formula",
    "unit",
    "direction",
    "levels",
    "source",
    "status",
    "executor",
)


class CatalogueError(ValueError):
    """A mistake in the indicator catalogue, described for its author."""


@dataclass(frozen=True)
class Indicator:
    """One entry of the catalogue."""

    id: str
    name: str
    measures: str
    formula: str
    unit: str
    direction: str
    levels: tuple[str, ...]
    source_level: str  # federal | regional | municipal | school | local
    source_document: str
    status: str  # draft | review | approved
    act_number: str | None
    act_date: dt.date | None
    executor: str
    targets: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.status == "approved"


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue and the settings that go with it."""

    path: Path
    indicators: tuple[Indicator, ...]
    executors: dict[str, str]
    ege_minimum: dict[str, float]
    enrolment_field: str

    def __iter__(self):
        return iter(self.indicators)

    def __len__(self):
        return len(self.indicators)

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(f"Показателя {indicator_id!r} нет в каталоге {self.path}")

    def ids(self, *, approved_only: bool = True) -> set[str]:
        """Ids of the (approved) indicators."""
        return {i.id for i in self.indicators if i.approved or not approved_only}

    def levels_frame(self, *, approved_only: bool = True) -> pd.DataFrame:
        """``indicator, level`` pairs where values are to be computed."""
        rows = [
            (i.id, lv)
            for i in self.indicators
            if i.approved or not approved_only
            for lv in i.levels
        ]
        return pd.DataFrame(rows, columns=["indicator", "level"])

    def frame(self) -> pd.DataFrame:
        """The catalogue as a table, one row per indicator (Russian values)."""
        rows = []
        for i in self.indicators:
            rows.append(
                {
                    "indicator": i.id,
                    "name": i.name,
                    "measures": i.measures,
                    "formula": i.formula.removeprefix(FORMULA_PREFIX),
                    "unit": i.unit,
                    "direction": DIRECTIONS[i.direction],
                    "levels": ", ".join(i.levels),
                    "source_level": SOURCE_LEVELS.get(i.source_level, "локальный"),
                    "source": i.source_document,
                    "status": STATUSES[i.status],
                    "act": (
                        f"№ {i.act_number} от {i.act_date:%d.%m.%Y}"
                        if i.act_number
                        else ""
                    ),
                    "executor": self.executors.get(i.executor, i.executor),
                    "targets": "; ".join(f"{k}: {v:g}" for k, v in i.targets.items()),
                    "thresholds": "; ".join(
                        f"{k}: {v:g}" for k, v in i.thresholds.items()
                    ),
                }
            )
        return pd.DataFrame(rows)


def _fail(path, where, fieldname, expected, found) -> CatalogueError:
    return CatalogueError(
        f"{path}, {where}, поле «{fieldname}»: ожидалось {expected}, найдено {found!r}"
    )


def _number_map(path, where, name, value) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, where, name, "словарь «уровень: число»", value)
    out = {}
    for level, number in value.items():
        if level not in LEVELS:
            raise _fail(path, where, name, f"уровни из {', '.join(LEVELS)}", level)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise _fail(path, where, f"{name}.{level}", "число", number)
        out[level] = float(number)
    return out


def _indicator(path, number: int, entry: Any, executors: dict) -> Indicator:
    where = f"показатель №{number}"
    if not isinstance(entry, dict):
        raise _fail(path, where, "(запись)", "словарь с полями показателя", entry)
    if entry.get("id"):
        where += f" ({entry['id']})"
    for name in REQUIRED:
        if entry.get(name) in (None, "", []):
            raise _fail(path, where, name, "непустое значение", entry.get(name))
    unknown = set(entry) - {*REQUIRED, "act", "targets", "thresholds"}
    if unknown:
        raise _fail(
            path,
            where,
            sorted(unknown)[0],
            "только известные поля: "
            + ", ".join(REQUIRED)
            + ", act, targets, thresholds",
            entry[sorted(unknown)[0]],
        )

    # Formula: a function of the suite that produces this id
    formula = str(entry["formula"])
    short = formula.removeprefix(FORMULA_PREFIX)
    if not formula.startswith(FORMULA_PREFIX) or short not in PRODUCES:
        raise _fail(
            path,
            where,
            "formula",
            "функцию " + ", ".join(FORMULA_PREFIX + f for f in PRODUCES),
            formula,
        )
    if entry["id"] not in PRODUCES[short]:
        raise _fail(
            path,
            where,
            "id",
            f"один из показателей функции {short}: " + ", ".join(PRODUCES[short]),
            entry["id"],
        )

    if entry["direction"] not in DIRECTIONS:
        raise _fail(
            path, where, "direction", "higher, lower или none", entry["direction"]
        )
    levels = entry["levels"]
    if not isinstance(levels, list) or not set(levels) <= set(LEVELS):
        raise _fail(path, where, "levels", f"список из {', '.join(LEVELS)}", levels)

    # Source: "local" or a normative document of a level
    source = entry["source"]
    if source == "local":
        src_level, document = "local", "локальное решение"
    elif (
        isinstance(source, dict)
        and source.get("level") in SOURCE_LEVELS
        and source.get("document")
    ):
        src_level, document = source["level"], str(source["document"])
    else:
        raise _fail(
            path,
            where,
            "source",
            "local или {level: federal|regional|"
            "municipal|school, document: название акта}",
            source,
        )

    # Status and approval act
    status = entry["status"]
    if status not in STATUSES:
        raise _fail(path, where, "status", "draft, review или approved", status)
    act = entry.get("act")
    number_, date = None, None
    if status == "approved":
        if not isinstance(act, dict) or not act.get("number") or not act.get("date"):
            raise _fail(
                path,
                where,
                "act",
                "для утверждённого показателя {number: номер акта, date: ГГГГ-ММ-ДД}",
                act,
            )
        date = act["date"]
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                raise _fail(path, where, "act.date", "дата ГГГГ-ММ-ДД", date) from None
        if not isinstance(date, dt.date):
            raise _fail(path, where, "act.date", "дата ГГГГ-ММ-ДД", date)
        number_ = str(act["number"])
    elif act is not None:
        raise _fail(
            path, where, "act", "акт только у показателя со статусом approved", act
        )

    if executors and entry["executor"] not in executors:
        raise _fail(
            path,
            where,
            "executor",
            "исполнителя из раздела executors: " + ", ".join(executors),
            entry["executor"],
        )
    return Indicator(
        id=str(entry["id"]),
        name=str(entry["name"]),
        measures=str(entry["measures"]),
        formula=formula,
        unit=str(entry["unit"]),
        direction=entry["direction"],
        levels=tuple(lv for lv in LEVELS if lv in levels),
        source_level=src_level,
        source_document=document,
        status=status,
        act_number=number_,
        act_date=date,
        executor=str(entry["executor"]),
        targets=_number_map(path, where, "targets", entry.get("targets")),
        thresholds=_number_map(path, where, "thresholds", entry.get("thresholds")),
    )


def parse_catalogue(data: Any, path: str | Path = "indicators.yaml") -> Catalogue:
    """Validate the catalogue's parsed YAML (see :func:`load_catalogue`)."""
    path = Path(path)
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise _fail(
            path,
            "корень файла",
            "indicators",
            "список показателей",
            None if not isinstance(data, dict) else data.get("indicators"),
        )
    executors = data.get("executors") or {}
    if not isinstance(executors, dict):
        raise _fail(
            path, "корень файла", "executors", "словарь «код: наименование»", executors
        )
    minima = data.get("ege_minimum") or {}
    if not isinstance(minima, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in minima.values()
    ):
        raise _fail(
            path, "корень файла", "ege_minimum", "словарь «предмет: балл»", minima
        )
    indicators, seen = [], set()
    for number, entry in enumerate(data["indicators"], start=1):
        ind = _indicator(path, number, entry, executors)
        if ind.id in seen:
            raise _fail(
                path,
                f"показатель №{number} ({ind.id})",
                "id",
                "код, не повторяющийся в каталоге",
                ind.id,
            )
        seen.add(ind.id)
        indicators.append(ind)
    return Catalogue(
        path=path,
        indicators=tuple(indicators),
        executors={str(k): str(v) for k, v in executors.items()},
        ege_minimum={str(k): float(v) for k, v in minima.items()},
        enrolment_field=str(data.get("enrolment_field", "{grade} класс Обучающихся")),
    )


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate ``params/indicators.yaml``.

    Raises
    ------
    CatalogueError
        Naming the file, the entry (number and id), the field, what was
        expected and what was found.
    """
    path = Path(path or Path(PARAMS_DIR) / "indicators.yaml")
    if not path.exists():
        raise CatalogueError(f"Нет каталога показателей {path}")
    stat = path.stat()
    return _read_catalogue(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_catalogue(path: str, mtime_ns: int, size: int) -> Catalogue:
    """The validated catalogue of one version of a file (the catalogue is
    immutable, so every caller may share it; an edited file is read again)."""
    with open(path, encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{path}: файл не читается как YAML: {exc}") from None
    return parse_catalogue(data, Path(path))
