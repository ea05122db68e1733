"""The register of management decisions and measures taken on the results.

Stage 6 of the cycle uses indicator values in management; every decision or
measure taken is written into a register, and stages 7 and 8 judge it. The
register arrives as a CSV file or an XLSX sheet with one row per decision:

==================  ==========================  =====================================
column              Russian header accepted     meaning
==================  ==========================  =====================================
``decision_id``     номер (or ``id``)           identifier, unique in the register
``date``            дата                        date of the decision
``level``           уровень                     region, municipality or school
``unit_id``         код единицы                 the unit whose body decided (optional)
``body``            орган                       the body that decided
``use_kind``        вид использования           code, number or name of the kind of
                                                use (params/uses.yaml)
``title``           мера                        what was decided (optional)
``targets``         целевые единицы             codes of the targeted schools or
                                                municipalities, separated by ``;``
                                                (header ``target_units`` too)
``indicator``       показатель                  the indicator aimed at (optional)
``target_value``    целевое значение            value to reach (optional)
``target_date``     срок                        date by which to reach it (optional)
``status``          статус                      planned, done or not_done
``note``            примечание                  free text (optional)
==================  ==========================  =====================================

Rows that break a rule are not loaded: they are returned, and stored in the
``rejects`` table, each with the file, the row, the column, what was expected and
what was found.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from io import StringIO
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from . import db
from .config import LEVEL_NAMES, PARAMS_DIR, load_params

log = logging.getLogger(__name__)

LAYOUT = "decisions"

# Column of the register -> accepted headers (compared in lower case).
COLUMNS: dict[str, tuple[str, ...]] = {
    "decision_id": ("decision_id", "номер", "id", "№", "номер решения"),
    "date": ("date", "дата", "дата решения"),
    "level": ("level", "уровень", "уровень управления"),
    "unit_id": ("unit_id", "код единицы", "единица"),
    "body": ("body", "орган", "орган управления", "кто принял"),
    "use_kind": ("use_kind", "use", "вид использования", "вид"),
    "title": ("title", "мера", "содержание", "решение", "название"),
    "targets": ("targets", "target_units", "целевые единицы", "объекты"),
    "indicator": ("indicator", "показатель"),
    "target_value": ("target_value", "целевое значение"),
    "target_date": ("target_date", "срок", "дата достижения"),
    "status": ("status", "статус"),
    "note": ("note", "примечание"),
}
REQUIRED = ("decision_id", "date", "level", "body", "use_kind", "status")

# Russian names of the columns, for messages.
COLUMN_NAMES = {
    "decision_id": "номер",
    "date": "дата",
    "level": "уровень",
    "unit_id": "код единицы",
    "body": "орган",
    "use_kind": "вид использования",
    "title": "мера",
    "targets": "целевые единицы",
    "indicator": "показатель",
    "target_value": "целевое значение",
    "target_date": "срок",
    "status": "статус",
    "note": "примечание",
}

DECISION_COLUMNS = [
    "decision_id",
    "date",
    "level",
    "unit_id",
    "body",
    "use_kind",
    "title",
    "indicator",
    "target_value",
    "target_date",
    "status",
    "note",
]
REJECT_COLUMNS = ["file", "sheet", "row", "column", "reason", "value", "record"]

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y")


class RegisterError(ValueError):
    """A register file that cannot be read at all (no rows can be judged)."""


@dataclass
class RegisterLoad:
    """What a load of a register gave: accepted decisions, targets and rejects.

    Attributes
    ----------
    decisions : DataFrame
        One row per accepted decision, columns ``DECISION_COLUMNS``.
    targets : DataFrame
        ``decision_id, unit_id``: the targeted units of each decision.
    rejects : DataFrame
        ``file, sheet, row, column, reason, value, record``; ``row`` is the
        1-based row of the file with the header as row 1.
    rows_read : int
        Rows found in the file.
    skipped : bool
        True when the same file (by its SHA-256) had been loaded before.
    """

    decisions: pd.DataFrame
    targets: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int = 0
    skipped: bool = False
    path: str = ""
    load_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when no row was rejected."""
        return self.rejects.empty


# --- reference lists -----------------------------------------------------------


def use_kinds(*, params_dir: Path | None = None) -> pd.DataFrame:
    """The kinds of use of indicator values (stage 6), in order.

    Read from ``params/uses.yaml``, the one list of the suite: entries with
    ``code`` and ``name`` under ``uses`` (or at the top level), or a mapping
    code -> name or code -> {name: ...}.

    Returns
    -------
    DataFrame
        ``number`` (1-based), ``code``, ``name``.

    Raises
    ------
    FileNotFoundError
        When the file is absent (the message names it).
    ValueError
        When it lists no kind of use.
    """
    raw = load_params("uses", params_dir=params_dir)
    if isinstance(raw, dict) and "uses" in raw:
        raw = raw["uses"]
    entries: list[tuple[str, str]] = []
    if isinstance(raw, dict):
        for code, value in raw.items():
            name = value.get("name", code) if isinstance(value, dict) else value
            entries.append((str(code), str(name)))
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                code = item.get("code", item.get("id"))
                name = item.get("name", item.get("title", code))
                if code is not None:
                    entries.append((str(code), str(name)))
    if not entries:
        path = Path(params_dir or PARAMS_DIR) / "uses.yaml"
        raise ValueError(
            f"{path}: нет ни одного вида использования (ожидались записи с code и "
            "name в списке uses)"
        )
    frame = pd.DataFrame(entries, columns=["code", "name"])
    frame.insert(0, "number", range(1, len(frame) + 1))
    return frame


def _settings() -> dict[str, Any]:
    return load_params("decisions")


def _spellings(section: str) -> dict[str, str]:
    """Accepted spelling (lower case) -> code, for statuses or levels."""
    table = {}
    for code, words in _settings()[section].items():
        table[code.lower()] = code
        for word in words:
            table[str(word).strip().lower()] = code
    return table


def status_names() -> dict[str, str]:
    """Status code -> Russian label."""
    return dict(_settings()["status_names"])


def resolve_indicator(code: str) -> tuple[str, dict]:
    """The catalogue indicator behind a register's code, and its restriction.

    ``params/decisions.yaml`` maps codes such as ``vpr_mean_pct`` to
    ``("mean_score_pct", {"study": "vpr"})``; other codes map to themselves.
    """
    alias = _settings().get("indicator_aliases", {}).get(code)
    if not alias:
        return code, {}
    return alias["indicator"], {k: v for k, v in alias.items() if k != "indicator"}


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[str, str]]:
    """Indicator -> (name, direction) of the catalogue (empty when unreadable)."""
    try:
        from .indicators.catalogue import load_catalogue

        return {i.id: (i.name, i.direction) for i in load_catalogue()}
    except (ImportError, OSError, ValueError) as exc:
        log.warning("каталог показателей не прочитан: %s", exc)
        return {}


def _catalogue_directions() -> dict[str, str]:
    return {k: v[1] for k, v in _catalogue().items()}


def catalogue_indicators() -> set[str] | None:
    """Indicator codes a register may name: the catalogue's and the aliases.

    None when the catalogue cannot be read (indicators are then not checked).
    """
    known = set(_catalogue())
    if not known:
        return None
    return known | set(_settings().get("indicator_aliases", {}))


def indicator_name(indicator: str) -> str:
    """The Russian name of an indicator (its code when the catalogue lacks it)."""
    code, restriction = resolve_indicator(indicator)
    name = _catalogue().get(code, (indicator, ""))[0]
    study = restriction.get("study")
    return f"{name} ({study.upper() if study != 'vpr' else 'ВПР'})" if study else name


def direction(indicator: str) -> str:
    """``higher`` or ``lower`` (which value is the better one), or ``none``.

    From the catalogue (params/indicators.yaml) through the aliases of
    params/decisions.yaml; indicators it does not know are ``lower`` when listed
    in ``lower_is_better`` of params/decisions.yaml, else ``higher``.
    """
    code, _ = resolve_indicator(indicator)
    known = _catalogue_directions().get(code)
    if known in ("higher", "lower"):
        return known
    if known is not None:
        return "none"
    return "lower" if code in set(_settings().get("lower_is_better", [])) else "higher"


def lower_is_better(indicator: str) -> bool:
    """True for indicators whose target is reached at or below the target value."""
    return direction(indicator) == "lower"


# --- reading a file ------------------------------------------------------------


def _read_table(path: Path) -> tuple[pd.DataFrame, str | None]:
    """Every cell as text; returns the frame and the sheet name (XLSX)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
        for sheet, frame in sheets.items():
            if _match_columns(frame.columns)[0].get("decision_id"):
                return frame, str(sheet)
        sheet, frame = next(iter(sheets.items()))
        return frame, str(sheet)
    if suffix not in (".csv", ".txt"):
        raise RegisterError(
            f"{path}: неизвестный формат файла «{path.suffix}»: ожидался CSV или XLSX"
        )
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if not text.strip():
        raise RegisterError(f"{path.name}: файл пуст: ожидалась строка заголовков")
    first = text.splitlines()[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    frame = pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    return frame, None


def _match_columns(headers) -> tuple[dict[str, str], list[str]]:
    """Register column -> header found; and the headers not recognised."""
    found: dict[str, str] = {}
    unknown = []
    for header in headers:
        key = str(header).strip().lower()
        for name, aliases in COLUMNS.items():
            if key in aliases and name not in found:
                found[name] = header
                break
        else:
            unknown.append(str(header))
    return found, unknown


def _parse_date(text: str) -> date | None:
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial day number
        return date(1899, 12, 30) + timedelta(days=int(float(text)))
    return None


def _parse_number(text: str) -> float | None:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _normal(text: str) -> str:
    """Lower case, ё as е, single spaces, no closing punctuation."""
    text = re.sub(r"\s+", " ", text.strip().lower().replace("ё", "е"))
    return text.rstrip(" ;.")


def _resolve_use(text: str, kinds: pd.DataFrame) -> str | None:
    """The code of a kind of use given by code, number or (nearly exact) name."""
    key = _normal(text)
    by_code = {c.lower(): c for c in kinds["code"]}
    if key in by_code:
        return by_code[key]
    if re.fullmatch(r"\d+", key):
        hit = kinds.loc[kinds["number"] == int(key), "code"]
        return hit.iloc[0] if len(hit) else None
    by_name = {_normal(n): c for c, n in zip(kinds["code"], kinds["name"], strict=True)}
    if key in by_name:
        return by_name[key]
    # Wording that differs by a few letters (a typo, a dropped bracket)
    close = difflib.get_close_matches(key, list(by_name), n=1, cutoff=0.9)
    return by_name[close[0]] if close else None


def read_register(
    path: str | Path,
    *,
    known_units: set[str] | None = None,
    known_indicators: set[str] | None = None,
    params_dir: Path | None = None,
) -> RegisterLoad:
    """Read and validate a register of decisions from a CSV or XLSX file.

    Parameters
    ----------
    path : str or Path
        The file; CSV (UTF-8 or Windows-1251, ``,`` or ``;``) or XLSX (the first
        sheet whose header names a ``decision_id``/``номер`` column).
    known_units : set of str, optional
        Codes of schools and territories of the database; targets and
        ``unit_id`` outside it are rejected. ``None`` skips the check.
    known_indicators : set of str, optional
        Indicator codes of the catalogue; ``None`` skips the check.

    Returns
    -------
    RegisterLoad
        Accepted decisions, their targets and the rejected rows with reasons.

    Raises
    ------
    RegisterError
        When the file has no rows or lacks a required column.
    """
    path = Path(path)
    if not path.exists():
        raise RegisterError(f"Файл реестра {path} не найден")
    frame, sheet = _read_table(path)
    found, _unknown = _match_columns(frame.columns)
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        names = ", ".join(f"«{c}» ({COLUMN_NAMES[c]})" for c in missing)
        headers = ", ".join(f"«{h}»" for h in frame.columns)
        raise RegisterError(
            f"{path.name}: нет обязательных столбцов реестра решений: {names}; "
            f"в файле столбцы: {headers}"
        )
    frame = frame.rename(columns={v: k for k, v in found.items()})
    frame = frame[[c for c in COLUMNS if c in frame.columns]].fillna("")
    frame = frame.map(lambda v: str(v).strip())
    kinds = use_kinds(params_dir=params_dir)
    statuses = _spellings("statuses")
    levels = _spellings("levels")

    decisions, targets, rejects = [], [], []
    seen: set[str] = set()
    for index, rec in enumerate(frame.to_dict("records")):
        row = index + 2  # header is row 1
        problem = _validate_row(
            rec,
            seen=seen,
            kinds=kinds,
            statuses=statuses,
            levels=levels,
            known_units=known_units,
            known_indicators=known_indicators,
        )
        if problem is not None:
            column, reason, value = problem
            rejects.append(
                {
                    "file": path.name,
                    "sheet": sheet,
                    "row": row,
                    "column": column,
                    "reason": reason,
                    "value": value,
                    "record": json.dumps(rec, ensure_ascii=False),
                }
            )
            continue
        decision, units = _normalise_row(
            rec, kinds=kinds, statuses=statuses, levels=levels
        )
        seen.add(decision["decision_id"])
        decisions.append(decision)
        targets.extend(
            {"decision_id": decision["decision_id"], "unit_id": u} for u in units
        )

    result = RegisterLoad(
        decisions=pd.DataFrame(decisions, columns=DECISION_COLUMNS),
        targets=pd.DataFrame(targets, columns=["decision_id", "unit_id"]),
        rejects=pd.DataFrame(rejects, columns=REJECT_COLUMNS),
        rows_read=len(frame),
        path=str(path),
    )
    for col in ("date", "target_date"):
        result.decisions[col] = pd.to_datetime(result.decisions[col]).dt.date
    log.info(
        "%s: решений принято %d, отклонено %d",
        path.name,
        len(result.decisions),
        len(result.rejects),
    )
    return result


def _split_units(text: str) -> list[str]:
    return [u for u in re.split(r"[;,\s]+", text) if u]


def _validate_row(
    rec, *, seen, kinds, statuses, levels, known_units, known_indicators
) -> tuple[str, str, str] | None:
    """The first problem of a row as (column, reason, value), or None."""
    # Required cells
    for col in REQUIRED:
        if not rec.get(col, ""):
            return col, f"пустая ячейка: столбец «{COLUMN_NAMES[col]}» обязателен", ""

    ident = rec["decision_id"]
    if ident in seen:
        return "decision_id", f"номер решения «{ident}» повторяется в файле", ident

    # Dates
    when = _parse_date(rec["date"])
    if when is None:
        return (
            "date",
            (
                f"дата «{rec['date']}» не распознана: ожидалась дата вида "
                "2024-09-15 или 15.09.2024"
            ),
            rec["date"],
        )
    deadline_text = rec.get("target_date", "")
    if deadline_text:
        deadline = _parse_date(deadline_text)
        if deadline is None:
            return (
                "target_date",
                (
                    f"срок «{deadline_text}» не распознан: ожидалась дата вида "
                    "2025-05-31 или 31.05.2025"
                ),
                deadline_text,
            )
        if deadline < when:
            return (
                "target_date",
                (f"срок {deadline:%d.%m.%Y} раньше даты решения {when:%d.%m.%Y}"),
                deadline_text,
            )

    # Codes from the reference lists
    if rec["level"].lower() not in levels:
        return (
            "level",
            (
                f"уровень «{rec['level']}» не распознан: ожидалось region, "
                "municipality или school (регион, муниципалитет, школа)"
            ),
            rec["level"],
        )
    if _resolve_use(rec["use_kind"], kinds) is None:
        return (
            "use_kind",
            (
                f"вид использования «{rec['use_kind']}» не найден в перечне: "
                f"ожидался код, номер от 1 до {len(kinds)} или название из "
                "params/uses.yaml"
            ),
            rec["use_kind"],
        )
    if rec["status"].lower() not in statuses:
        return (
            "status",
            (
                f"статус «{rec['status']}» не распознан: ожидалось planned, done или "
                "not_done (запланировано, выполнено, не выполнено)"
            ),
            rec["status"],
        )

    # Target value and indicator
    value_text = rec.get("target_value", "")
    if value_text and _parse_number(value_text) is None:
        return "target_value", (f"целевое значение «{value_text}» не число"), value_text
    indicator = rec.get("indicator", "")
    if value_text and not indicator:
        return "indicator", ("задано целевое значение, но не указан показатель"), ""
    if indicator and known_indicators is not None and indicator not in known_indicators:
        return (
            "indicator",
            (
                f"показатель «{indicator}» не найден в каталоге показателей "
                "(params/indicators.yaml)"
            ),
            indicator,
        )

    # Units of the database
    if known_units is not None:
        owner = rec.get("unit_id", "")
        if owner and owner not in known_units:
            return "unit_id", (f"единица «{owner}» не найдена в базе данных"), owner
        unknown = [
            u for u in _split_units(rec.get("targets", "")) if u not in known_units
        ]
        if unknown:
            listed = ", ".join(f"«{u}»" for u in unknown)
            return (
                "targets",
                (f"целевые единицы не найдены в базе данных: {listed}"),
                rec.get("targets", ""),
            )
    return None


def _normalise_row(rec, *, kinds, statuses, levels) -> tuple[dict, list[str]]:
    value_text = rec.get("target_value", "")
    deadline_text = rec.get("target_date", "")
    decision = {
        "decision_id": rec["decision_id"],
        "date": _parse_date(rec["date"]),
        "level": levels[rec["level"].lower()],
        "unit_id": rec.get("unit_id", "") or None,
        "body": rec["body"],
        "use_kind": _resolve_use(rec["use_kind"], kinds),
        "title": rec.get("title", "") or None,
        "indicator": rec.get("indicator", "") or None,
        "target_value": _parse_number(value_text) if value_text else None,
        "target_date": _parse_date(deadline_text) if deadline_text else None,
        "status": statuses[rec["status"].lower()],
        "note": rec.get("note", "") or None,
    }
    units = list(dict.fromkeys(_split_units(rec.get("targets", ""))))
    return decision, units


# --- the database --------------------------------------------------------------


def known_units(con: duckdb.DuckDBPyConnection) -> set[str] | None:
    """Codes of every school and territory in the database (None when empty)."""
    rows = con.execute(
        "SELECT school_id FROM schools UNION SELECT territory_id FROM territories"
    ).fetchall()
    return {r[0] for r in rows} or None


def load_register(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    known_indicators: set[str] | None = None,
    params_dir: Path | None = None,
) -> RegisterLoad:
    """Validate a register file and store it in the database.

    Targets and units must be schools or territories of the database (when it
    has any); indicators must be in ``known_indicators``, by default the
    catalogue (params/indicators.yaml) and the aliases of params/decisions.yaml.

    Accepted decisions replace earlier rows with the same ``decision_id`` (the
    register is kept up to date through the year: statuses change); rejected
    rows go to ``rejects``; the file is recorded in ``loads`` with the layout
    ``decisions``. A file whose SHA-256 was already loaded is skipped.

    Returns
    -------
    RegisterLoad
        As :func:`read_register`, with ``load_id`` set (or ``skipped``).
    """
    path = Path(path)
    if not path.exists():
        raise RegisterError(f"Файл реестра {path} не найден")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    done = con.execute(
        "SELECT load_id FROM loads WHERE sha256 = ? AND layout = ?", [digest, LAYOUT]
    ).fetchone()
    if done:
        log.info("%s: уже загружен ранее (загрузка %d)", path.name, done[0])
        return RegisterLoad(
            decisions=pd.DataFrame(columns=DECISION_COLUMNS),
            targets=pd.DataFrame(columns=["decision_id", "unit_id"]),
            rejects=pd.DataFrame(columns=REJECT_COLUMNS),
            skipped=True,
            path=str(path),
            load_id=int(done[0]),
        )

    result = read_register(
        path,
        known_units=known_units(con),
        known_indicators=known_indicators or catalogue_indicators(),
        params_dir=params_dir,
    )
    with db.transaction(con):
        load_id = db.next_id(con, "loads", "load_id")
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, current_timestamp, ?, ?, ?)",
            [
                load_id,
                str(path),
                digest,
                LAYOUT,
                result.rows_read,
                len(result.decisions),
                len(result.rejects),
            ],
        )
        ids = result.decisions["decision_id"].tolist()
        if ids:
            con.execute(
                "DELETE FROM decision_targets WHERE decision_id IN "
                "(SELECT unnest(?::TEXT[]))",
                [ids],
            )
            con.execute(
                "DELETE FROM decisions WHERE decision_id IN (SELECT unnest(?::TEXT[]))",
                [ids],
            )
        stored = result.decisions.assign(load_id=load_id)
        db.append(con, "decisions", stored)
        db.append(con, "decision_targets", result.targets)
        db.append(con, "rejects", result.rejects.assign(load_id=load_id))
    result.load_id = load_id
    return result


def read_decisions(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str | None = None,
    unit_id: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """The register as stored, optionally for one unit and one academic year.

    A decision belongs to a unit when the unit's body took it (``unit_id``) or
    when it targets the unit, a school inside it, or (for a region) anything.
    The academic year ``Y`` runs from 1 September of ``Y - 1`` to 31 August of
    ``Y``, so that a decision on the results of spring ``Y - 1`` taken in the
    autumn falls in the year ``Y`` whose results it aims at.

    Returns
    -------
    DataFrame
        The columns of ``DECISION_COLUMNS``, plus ``targets`` (codes joined by
        ``;``), ``n_targets``, ``unit_targets`` (the targets to show in the
        unit's reports: for a unit below the region those inside it, then
        «и ещё N вне единицы»), ``year`` (academic year of the decision),
        ``use_name`` and ``status_name``.
    """
    frame = con.execute(
        f"""
        SELECT d.{", d.".join(DECISION_COLUMNS)},
               string_agg(t.unit_id, ';' ORDER BY t.unit_id) AS targets,
               count(t.unit_id) AS n_targets
        FROM decisions d LEFT JOIN decision_targets t USING (decision_id)
        GROUP BY ALL ORDER BY d.date, d.decision_id
        """
    ).df()
    frame["targets"] = frame["targets"].fillna("")
    dates = pd.to_datetime(frame["date"])
    frame["year"] = (dates.dt.year + (dates.dt.month >= 9)).astype("Int64")
    kinds = use_kinds()
    frame["use_name"] = frame["use_kind"].map(
        dict(zip(kinds["code"], kinds["name"], strict=True))
    )
    frame["status_name"] = frame["status"].map(status_names())

    if year:
        frame = frame[frame["year"] == year]
    if unit_id and level != "region":
        inside = _units_inside(con, level or "", unit_id)
        owner = frame["unit_id"].isin(inside)
        targeted = frame["targets"].map(lambda s: bool(set(s.split(";")) & inside))
        frame = frame[owner | targeted].copy()
        # A unit's register shows its own targets only; the others are counted
        frame["unit_targets"] = frame["targets"].map(lambda s: _own_targets(s, inside))
    else:
        frame["unit_targets"] = frame["targets"]
    return frame.reset_index(drop=True)


def _own_targets(targets: str, inside: set[str]) -> str:
    """The codes of ``targets`` (joined by ``;``) that lie inside the unit, and
    how many others the decision has."""
    codes = [c for c in targets.split(";") if c]
    own = [c for c in codes if c in inside]
    others = len(codes) - len(own)
    if others:
        own.append(f"и ещё {others} вне единицы")
    return ";".join(own)


#: Russian headers of the register as users read it (reports, workbooks).
REGISTER_HEADERS: dict[str, str] = {
    "decision_id": "Номер",
    "date": "Дата",
    "year": "Учебный год",
    "level": "Уровень",
    "unit_id": "Код единицы",
    "body": "Орган",
    "use_name": "Вид использования",
    "title": "Мера",
    "targets": "Целевые единицы",
    "indicator": "Показатель",
    "target_value": "Целевое значение",
    "target_date": "Срок",
    "status_name": "Статус",
    "note": "Примечание",
}


def register_table(register: pd.DataFrame) -> pd.DataFrame:
    """The register as a user reads it: Russian headers, names instead of codes.

    Parameters
    ----------
    register : DataFrame
        The output of :func:`read_decisions`.

    Returns
    -------
    DataFrame
        The columns of :data:`REGISTER_HEADERS` under their Russian headers:
        the academic year as «2023/2024», the level, the kind of use, the
        indicator (:func:`indicator_name`) and the status in words; target
        units keep their codes, separated by «; » (those of ``unit_targets``
        where the register was read for a unit).
    """
    out = register.copy()
    if out.empty:
        return pd.DataFrame(columns=list(REGISTER_HEADERS.values()))
    out["year"] = out["year"].map(
        lambda y: f"{int(y) - 1}/{int(y)}" if pd.notna(y) else ""
    )
    out["level"] = out["level"].map(LEVEL_NAMES).fillna(out["level"])
    out["indicator"] = out["indicator"].map(
        lambda c: indicator_name(c) if isinstance(c, str) and c else c
    )
    shown = out["unit_targets"] if "unit_targets" in out else out["targets"]
    out["targets"] = shown.str.replace(";", "; ")
    return out[list(REGISTER_HEADERS)].rename(columns=REGISTER_HEADERS)


def _units_inside(con: duckdb.DuckDBPyConnection, level: str, unit_id: str) -> set[str]:
    """The unit itself and, for a municipality, its schools."""
    units = {unit_id}
    if level == "municipality":
        rows = con.execute(
            "SELECT school_id FROM schools WHERE municipality_id = ?", [unit_id]
        ).fetchall()
        units |= {r[0] for r in rows}
    return units
