"""The Explorer: one year of results, pre-aggregated for instant selections.

The results of a year are read from the database once and summed per form and
class (a class is the smallest unit a methodologist selects). Any territory or
school is then a set of such rows, and every table of the exploration panel is
a sum over them: nothing is recomputed from the per-student results when the
selection changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields

import duckdb
import numpy as np
import pandas as pd

from ..config import LEVEL_NAMES, load_params, settings
from ..indicators import formulas

log = logging.getLogger(__name__)

MARKS = (2, 3, 4, 5)
LEVELS = ("region", "municipality", "school", "class")
CHILD_LEVEL = {"region": "municipality", "municipality": "school", "school": "class"}
SOU_WEIGHTS = np.array([0.16, 0.36, 0.64, 1.00])
STATUS_NAMES = {
    "sufficient": "достаточный",
    "uncertain": "неопределённый",
    "insufficient": "недостаточный",
    "small": "мало участников",
    "unknown": "уровень не задан",
}
NO_CLASS = "/-"
NO_TERRITORY = "-"  # the id of the municipality and region of schools of none
SIMILAR_COUNT = 10


class ExploreError(ValueError):
    """A selection that cannot be served; the message is for the user."""


@dataclass(frozen=True)
class Selection:
    """A unit and a form: what every table and figure of the panel shows.

    Attributes
    ----------
    level, unit_id : str
        The unit: ``region``, ``municipality``, ``school`` or ``class`` and its id.
    form_id : str
        The form (study, year, subject and grade) of the results.
    """

    level: str
    unit_id: str
    form_id: str


@dataclass
class _Sums:
    """Sums over a set of (form, class) rows."""

    n: np.ndarray  # participants
    marks: np.ndarray  # counts of «2» … «5»
    score_sum: np.ndarray
    score_n: np.ndarray
    test_sum: np.ndarray  # ЕГЭ test scores
    test_n: np.ndarray
    hist: np.ndarray  # participants at each primary score
    points: np.ndarray  # points per task
    full: np.ndarray  # participants with full credit per task
    positive: np.ndarray  # participants with some credit per task


def task_statuses(completion, level, participants, *, min_group: int) -> np.ndarray:
    """The reference level reached by each task's completion, for the panel.

    The reading itself is :func:`cyclolib.indicators.formulas.task_status`
    (the reference levels of ``params/settings.yaml``); this adds the two
    states the panel colours apart.

    Parameters
    ----------
    completion : array_like
        Completion of each task, in percent.
    level : array_like
        Each task's difficulty: ``Б`` (basic), ``П`` or ``В`` (advanced, high);
        None or an empty string where unknown.
    participants : int or array_like
        Participants behind each figure.
    min_group : int
        Below this number of participants no conclusion is drawn.

    Returns
    -------
    numpy.ndarray of str
        ``sufficient``, ``uncertain``, ``insufficient``, ``small`` (fewer
        participants than ``min_group``) or ``unknown`` (no difficulty level or
        no figure).

    Raises
    ------
    ExploreError
        For a difficulty level other than Б, П or В.
    """
    completion = np.asarray(completion, dtype=float).ravel()
    level = [
        lv if isinstance(lv, str) and lv.strip() else None
        for lv in np.asarray(level, dtype=object).ravel()
    ]
    try:
        read = formulas.task_status(completion, level)
    except ValueError as exc:
        raise ExploreError(str(exc)) from None
    status = read.fillna("unknown").to_numpy(dtype=object)
    participants = np.broadcast_to(participants, status.shape)
    return np.where(participants < min_group, "small", status)


def mark_thresholds(study: str, subject: str, grade: int, year: int) -> list[float]:
    """Minimum primary scores of «3», «4» and «5» of a form, from params/scales.yaml.

    The entry with the latest ``valid_from`` not after ``year`` applies; an
    empty list when the form has no scale.
    """
    best = None
    for entry in load_params("scales") or []:
        same = (entry.get("study"), entry.get("subject"), entry.get("grade")) == (
            study,
            subject,
            grade,
        )
        if same and entry.get("valid_from", 0) <= year:
            if best is None or entry["valid_from"] > best["valid_from"]:
                best = entry
    return [float(t) for t in best["thresholds"]] if best else []


class Explorer:
    """Results of one year of a database, ready for any selection.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open database (read-only is enough).
    year : int, optional
        The school year; 0 (the default) takes the latest year with results.

    Notes
    -----
    Built once, in a few queries: per form and class the participants, the
    counts of each mark, the sum of primary scores, the histogram of primary
    scores and per task the points, the full-credit and the some-credit counts.
    A selection (a territory, a school or a class) is a set of those rows, so
    every method below is a sum of at most a few thousand short rows. Absent
    participants are left out; a task without a score counts as 0 points.
    Results without a class are kept as the school's class «без класса».
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, year: int = 0):
        self.con = con
        self.year = self._resolve_year(int(year or 0))
        cfg = settings()
        self.min_group = int(cfg.get("min_group_size", 10))
        self.min_distribution = int(cfg.get("min_distribution_size", 50))
        self._load_units()
        self._load_forms()
        self._load_groups()
        log.debug(
            "просмотр за %s год: работ %d, строк %d",
            self.year,
            len(self.forms),
            self._n_rows,
        )

    # Building

    def _resolve_year(self, year: int) -> int:
        years = [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT f.year FROM forms f "
                "JOIN results r USING (form_id) ORDER BY 1"
            ).fetchall()
        ]
        if not years:
            raise ExploreError("В базе данных нет результатов: загрузите данные")
        if year == 0:
            return int(years[-1])
        if year not in years:
            found = ", ".join(str(y) for y in years)
            raise ExploreError(
                f"Нет результатов за {year} год: в базе есть годы {found}"
            )
        return year

    def _load_units(self) -> None:
        con = self.con
        terr = con.execute(
            "SELECT territory_id, name, level, parent_id FROM territories"
        ).df()
        self._territories = terr.set_index("territory_id")
        schools = con.execute(
            "SELECT school_id, name, municipality_id, region_id, urban, "
            "social_index FROM schools"
        ).df()
        # Schools that appear only in the results still belong to the data
        extra = con.execute(
            "SELECT DISTINCT r.school_id FROM results r JOIN forms f USING (form_id) "
            "WHERE f.year = ? AND r.school_id NOT IN (SELECT school_id FROM schools)",
            [self.year],
        ).df()
        schools = pd.concat([schools, extra], ignore_index=True)
        parents = self._territories["parent_id"]
        missing = schools["region_id"].isna() & schools["municipality_id"].notna()
        schools.loc[missing, "region_id"] = schools.loc[missing, "municipality_id"].map(
            parents
        )
        schools["name"] = schools["name"].fillna(schools["school_id"])
        self._schools = schools.set_index("school_id")
        classes = con.execute(
            "SELECT class_id, school_id, grade, letter FROM classes WHERE year = ?",
            [self.year],
        ).df()
        self._class_info = {
            c: (g, lt)
            for c, g, lt in zip(
                classes["class_id"], classes["grade"], classes["letter"], strict=True
            )
        }

    def _load_forms(self) -> None:
        forms = self.con.execute(
            "SELECT f.form_id, f.study_id AS study, s.name AS study_name, f.subject, "
            "f.grade, f.max_score FROM forms f LEFT JOIN studies s USING (study_id) "
            "WHERE f.year = ? AND f.form_id IN (SELECT DISTINCT form_id FROM results) "
            "ORDER BY CASE f.study_id WHEN 'vpr' THEN 0 WHEN 'oge' THEN 1 "
            "WHEN 'ege' THEN 2 ELSE 3 END, f.study_id, f.subject, f.grade",
            [self.year],
        ).df()
        forms["study_name"] = forms["study_name"].fillna(forms["study"].str.upper())
        self.forms = forms.set_index("form_id")
        items = self.con.execute(
            "SELECT form_id, position, task, max_score, level FROM items "
            "WHERE form_id IN (SELECT form_id FROM forms WHERE year = ?) "
            "ORDER BY form_id, position",
            [self.year],
        ).df()
        self._items = {f: g.reset_index(drop=True) for f, g in items.groupby("form_id")}

    def _load_groups(self) -> None:
        con = self.con
        year = self.year
        base = (
            "SELECT r.result_id, r.form_id, r.school_id, "
            f"coalesce(r.class_id, r.school_id || '{NO_CLASS}') AS class_key, "
            "r.primary_score, r.mark, r.test_score "
            "FROM results r JOIN forms f USING (form_id) "
            "WHERE f.year = ? AND NOT r.absent"
        )
        # Participants, marks and scores per form and class
        groups = con.execute(
            f"WITH r AS ({base}) SELECT form_id, school_id, class_key, "
            "count(*) AS n, "
            + ", ".join(f"count(*) FILTER (WHERE mark = {m}) AS n{m}" for m in MARKS)
            + ", coalesce(sum(primary_score), 0) AS score_sum, "
            "count(primary_score) AS score_n, "
            "coalesce(sum(test_score), 0) AS test_sum, count(test_score) AS test_n "
            "FROM r GROUP BY ALL "
            "ORDER BY form_id, school_id, class_key",
            [year],
        ).df()
        groups["row"] = np.arange(len(groups))
        key = ["form_id", "school_id", "class_key"]
        hist = con.execute(
            f"WITH r AS ({base}) SELECT form_id, school_id, class_key, "
            "CAST(round(primary_score) AS INTEGER) AS score, count(*) AS n "
            "FROM r WHERE primary_score IS NOT NULL GROUP BY ALL",
            [year],
        ).df()
        tasks = con.execute(
            f"WITH r AS ({base}) SELECT r.form_id, r.school_id, r.class_key, "
            "t.position, coalesce(sum(t.score), 0) AS points, "
            "count(*) FILTER (WHERE t.score >= i.max_score) AS full, "
            "count(*) FILTER (WHERE t.score > 0) AS positive, "
            "max(t.score) AS top "
            "FROM r JOIN task_scores t USING (result_id) "
            "LEFT JOIN items i ON i.form_id = r.form_id AND i.position = t.position "
            "GROUP BY ALL",
            [year],
        ).df()
        hist = hist.merge(groups[key + ["row"]], on=key)
        tasks = tasks.merge(groups[key + ["row"]], on=key)

        # Forms without a task list get one from the positions found
        for form_id, part in tasks.groupby("form_id"):
            if form_id not in self._items:
                top = part.groupby("position")["top"].max()
                log.warning(
                    "форма %s без описания заданий: максимумы по данным", form_id
                )
                self._items[form_id] = pd.DataFrame(
                    {
                        "form_id": form_id,
                        "position": top.index.astype(int),
                        "task": top.index.astype(str),
                        "max_score": top.to_numpy(dtype=float),
                        "level": None,
                    }
                )

        # Codes of every row: form, municipality, school, class
        n_rows = len(groups)
        self._n_rows = n_rows
        form_codes = pd.Categorical(groups["form_id"], categories=self.forms.index)
        self._form_bounds = {}
        codes = form_codes.codes
        for i, form_id in enumerate(self.forms.index):
            where = np.flatnonzero(codes == i)
            if len(where):
                self._form_bounds[form_id] = (int(where[0]), int(where[-1]) + 1)
        school_ids = pd.Index(groups["school_id"].unique())
        self._school_index = school_ids
        self._row_school = school_ids.get_indexer(groups["school_id"])
        # Schools of no known territory form a municipality and a region of their own
        muni = _ids(groups["school_id"].map(self._schools["municipality_id"]))
        self._muni_index = pd.Index(muni.unique())
        self._row_muni = self._muni_index.get_indexer(muni)
        region = _ids(groups["school_id"].map(self._schools["region_id"]))
        self._region_index = pd.Index(region.unique())
        self._row_region = self._region_index.get_indexer(region)
        self._class_index = pd.Index(groups["class_key"].unique())
        self._row_class = self._class_index.get_indexer(groups["class_key"])
        self._class_school = dict(
            zip(groups["class_key"], groups["school_id"], strict=True)
        )
        self._index_names()

        # Dense arrays of the sums
        width = int(max(hist["score"].max() if len(hist) else 0, 0)) + 1
        positions = int(tasks["position"].max()) if len(tasks) else 0
        marks = groups[[f"n{m}" for m in MARKS]].to_numpy(dtype=float)
        hist_arr = np.zeros((n_rows, width))
        hist_arr[hist["row"].to_numpy(), hist["score"].clip(lower=0).to_numpy()] = hist[
            "n"
        ].to_numpy()
        dense = {}
        for col in ("points", "full", "positive"):
            arr = np.zeros((n_rows, max(positions, 1)))
            arr[tasks["row"].to_numpy(), tasks["position"].to_numpy() - 1] = tasks[
                col
            ].to_numpy(dtype=float)
            dense[col] = arr
        self._sums = _Sums(
            n=groups["n"].to_numpy(dtype=float),
            marks=marks,
            score_sum=groups["score_sum"].to_numpy(dtype=float),
            score_n=groups["score_n"].to_numpy(dtype=float),
            test_sum=groups["test_sum"].to_numpy(dtype=float),
            test_n=groups["test_n"].to_numpy(dtype=float),
            hist=hist_arr,
            points=dense["points"],
            full=dense["full"],
            positive=dense["positive"],
        )

    # Units and forms

    def regions(self) -> list[str]:
        """Ids of the regions with results in the year."""
        return list(self._region_index)

    def unit_name(self, level: str, unit_id: str) -> str:
        """The name of a unit as a methodologist reads it (its id when unknown)."""
        if level == "class" and unit_id not in self._names["class"]:
            return self._class_name(unit_id)
        return self._names[level].get(unit_id, unit_id)

    def _class_name(self, class_key: str) -> str:
        if class_key.endswith(NO_CLASS):
            return "без класса"
        found = self._class_info.get(class_key)
        if found is None:
            return class_key.rsplit("/", 1)[-1]
        grade, letter = found
        if letter is None or pd.isna(letter) or letter == "":
            return f"{grade} класс"
        return f"{grade}{letter}"

    def _index_names(self) -> None:
        """Names and parents of every unit as plain dicts, for fast look-ups."""
        terr = self._territories
        names = dict(zip(terr.index, terr["name"].astype(str), strict=True))
        self._names = {
            "region": {NO_TERRITORY: "Все результаты", **names},
            "municipality": {NO_TERRITORY: "Без муниципалитета", **names},
            "school": dict(
                zip(self._schools.index, self._schools["name"].astype(str), strict=True)
            ),
            "class": {k: self._class_name(k) for k in self._class_index},
        }
        parents: dict[tuple[str, str], tuple[str, str]] = {}
        for key, school in self._class_school.items():
            parents[("class", key)] = ("school", school)
        for school, muni, region in zip(
            self._schools.index,
            self._schools["municipality_id"],
            self._schools["region_id"],
            strict=True,
        ):
            muni = muni if isinstance(muni, str) else NO_TERRITORY
            region = region if isinstance(region, str) else NO_TERRITORY
            parents[("school", school)] = ("municipality", muni)
            parents.setdefault(("municipality", muni), ("region", region))
        for muni, parent in zip(terr.index, terr["parent_id"], strict=True):
            if isinstance(parent, str) and terr["level"].get(muni) == "municipality":
                parents[("municipality", muni)] = ("region", parent)
        self._parents = parents

    def parent(self, level: str, unit_id: str) -> tuple[str, str] | None:
        """The level and id of the unit's parent territory (None for a region)."""
        found = self._parents.get((level, unit_id))
        if found is None and level == "municipality" and len(self._region_index) == 1:
            return ("region", self._region_index[0])
        return found

    def children(
        self, level: str, unit_id: str, form_id: str | None = None
    ) -> list[tuple[str, str]]:
        """Units one level below with results, as ``(id, name)`` sorted by name.

        With ``form_id``, only the units with results of that form.
        """
        if level not in CHILD_LEVEL:
            return []
        if form_id:
            rows = self._rows(Selection(level, unit_id, form_id))
        else:
            rows = np.flatnonzero(self._unit_mask_all(level, unit_id))
        child = CHILD_LEVEL[level]
        codes, index = self._child_codes(child)
        found = codes[rows]
        ids = index[np.unique(found[found >= 0])]
        names = self._names[child]
        return sorted(((i, names.get(i, i)) for i in ids), key=lambda x: x[1])

    def form_options(self) -> pd.DataFrame:
        """The forms of the year: study, study_name, subject, grade, form_id."""
        return self.forms.reset_index()[
            ["form_id", "study", "study_name", "subject", "grade"]
        ]

    def find_form(
        self, *, study: str = "", subject: str = "", grade: int = 0, unit=None
    ) -> str:
        """The form of the year for a study, subject and grade.

        Empty keys take the first form: ВПР before ОГЭ and ЕГЭ, then by
        subject code and grade. With ``unit`` (a pair level, id), the first
        such form that the unit has results of.
        """
        forms = self.forms
        if unit is not None:
            level, unit_id = unit
            found = forms.index[
                [len(self._rows(Selection(level, unit_id, f))) > 0 for f in forms.index]
            ]
            forms = forms.loc[found]
        if study:
            forms = forms[forms["study"] == study]
        if subject:
            forms = forms[forms["subject"] == subject]
        if grade:
            forms = forms[forms["grade"] == int(grade)]
        if forms.empty:
            raise ExploreError(
                f"Нет результатов за {self.year} год для исследования "
                f"«{study or 'любое'}», предмета «{subject or 'любой'}», "
                f"класса {grade or 'любой'}"
            )
        return str(forms.index[0])

    def selection(
        self,
        level: str = "region",
        unit_id: str = "",
        *,
        study: str = "",
        subject: str = "",
        grade: int = 0,
    ) -> Selection:
        """Check a unit and find its form; an empty ``unit_id`` is the region.

        The form is the first one matching ``study``, ``subject`` and ``grade``
        (any where empty) that the unit has results of.

        Raises
        ------
        ExploreError
            For an unknown level, a unit without results or a missing form.
        """
        if level not in LEVELS:
            raise ExploreError(
                f"Неизвестный уровень «{level}»: допустимы {', '.join(LEVELS)}"
            )
        if not unit_id:
            if level != "region":
                raise ExploreError(
                    f"Не задан код единицы уровня «{LEVEL_NAMES[level]}»"
                )
            known = [r for r in self._region_index if r != NO_TERRITORY]
            unit_id = (known or list(self._region_index) or [""])[0]
        index = self._level_index(level)
        if unit_id not in index:
            raise ExploreError(
                f"Нет результатов за {self.year} год для единицы «{unit_id}» "
                f"(уровень «{LEVEL_NAMES[level]}»)"
            )
        keys = {"study": study, "subject": subject, "grade": grade}
        try:
            form_id = self.find_form(**keys, unit=(level, unit_id))
        except ExploreError:
            self.find_form(**keys)  # the form itself is missing: say so
            raise ExploreError(
                f"Нет результатов за {self.year} год для единицы «{unit_id}» "
                f"(уровень «{LEVEL_NAMES[level]}») по исследованию "
                f"«{study or 'любое'}», предмету «{subject or 'любой'}», "
                f"классу {grade or 'любой'}"
            ) from None
        return Selection(level, unit_id, form_id)

    def _level_index(self, level: str) -> pd.Index:
        return {
            "region": self._region_index,
            "municipality": self._muni_index,
            "school": self._school_index,
            "class": self._class_index,
        }[level]

    def _child_codes(self, level: str) -> tuple[np.ndarray, pd.Index]:
        return {
            "region": (self._row_region, self._region_index),
            "municipality": (self._row_muni, self._muni_index),
            "school": (self._row_school, self._school_index),
            "class": (self._row_class, self._class_index),
        }[level]

    # Selecting rows

    def _form_slice(self, form_id: str) -> slice:
        lo, hi = self._form_bounds.get(form_id, (0, 0))
        return slice(lo, hi)

    def _unit_mask_all(self, level: str, unit_id: str) -> np.ndarray:
        codes, _index = self._child_codes(level)
        loc = self._code(level, unit_id)
        return codes == loc if loc >= 0 else np.zeros(len(codes), dtype=bool)

    def _code(self, level: str, unit_id: str) -> int:
        """The unit's code in the rows' codes of its level (−1 when absent)."""
        cache = self.__dict__.setdefault("_code_cache", {})
        if level not in cache:
            index = self._child_codes(level)[1]
            cache[level] = {u: i for i, u in enumerate(index)}
        return cache[level].get(unit_id, -1)

    def _rows(self, sel: Selection) -> np.ndarray:
        """Row numbers of the selection's unit and form."""
        part = self._form_slice(sel.form_id)
        codes, _index = self._child_codes(sel.level)
        loc = self._code(sel.level, sel.unit_id)
        if loc < 0:
            return np.zeros(0, dtype=int)
        return part.start + np.flatnonzero(codes[part] == loc)

    def _sum(self, rows: np.ndarray) -> _Sums:
        s = self._sums
        return _Sums(
            **{f.name: getattr(s, f.name)[rows].sum(axis=0) for f in fields(_Sums)}
        )

    def _sum_by(self, rows: np.ndarray, codes: np.ndarray, size: int) -> _Sums:
        """Sums of the rows per unit code (codes of the rows, 0..size-1)."""
        s = self._sums

        def by(arr):
            out = np.zeros((size,) + arr.shape[1:])
            np.add.at(out, codes, arr[rows])
            return out

        return _Sums(**{f.name: by(getattr(s, f.name)) for f in fields(_Sums)})

    # Tables

    def _summary_rows(self, sums: _Sums) -> pd.DataFrame:
        marks = np.atleast_2d(sums.marks)
        n = np.atleast_1d(sums.n)
        with_mark = marks.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = marks / with_mark[:, None] * 100
            mean = np.atleast_1d(sums.score_sum) / np.atleast_1d(sums.score_n)
            test = np.atleast_1d(sums.test_sum) / np.atleast_1d(sums.test_n)
        no_mark = with_mark == 0
        columns = {"participants": n.astype(int), "mean_score": mean}
        for i, m in enumerate(MARKS):
            columns[f"mark{m}_pct"] = shares[:, i]
        columns["pass_pct"] = np.where(no_mark, np.nan, shares[:, 1:].sum(axis=1))
        columns["quality_pct"] = np.where(no_mark, np.nan, shares[:, 2:].sum(axis=1))
        columns["sou_pct"] = np.where(no_mark, np.nan, shares @ SOU_WEIGHTS)
        columns["mean_test_score"] = test
        columns["small_group"] = n < self.min_group
        return pd.DataFrame(columns)  # one constructor: cheaper than column inserts

    def summary(self, sel: Selection) -> pd.DataFrame:
        """Participants and marks of the selected unit: one row.

        Returns
        -------
        pandas.DataFrame
            ``level, unit_id, unit, participants, mean_score, mark2_pct …
            mark5_pct, pass_pct, quality_pct, sou_pct, mean_test_score,
            small_group``.

        Notes
        -----
        Shares of marks are over participants with a mark (as published by
        ФИС ОКО, weighted by participants, never a mean of school shares):
        ``markK_pct = nK / (n2 + n3 + n4 + n5) · 100``; успеваемость
        ``pass_pct`` is the share of «3»–«5», качество знаний ``quality_pct`` of
        «4»–«5», and СОУ ``sou_pct = (1.00·n5 + 0.64·n4 + 0.36·n3 + 0.16·n2) / N
        · 100`` with N the participants with a mark. ``mean_score`` is the mean
        primary score, ``mean_test_score`` the mean ЕГЭ test score (NaN for
        studies without one). Without any mark the shares are NaN (ЕГЭ has no
        marks).
        """
        frame = self._summary_rows(self._sum(self._rows(sel)))
        frame.insert(0, "unit", self.unit_name(sel.level, sel.unit_id))
        frame.insert(0, "unit_id", sel.unit_id)
        frame.insert(0, "level", sel.level)
        return _with_attrs(frame, "Итоги")

    def drilldown(self, sel: Selection) -> pd.DataFrame:
        """The same figures as :meth:`summary` for each unit one level below.

        A region gives its municipalities, a municipality its schools, a school
        its classes; a class has no units below (an empty frame). Rows are
        ordered by name. Columns: ``unit_id, unit`` then those of
        :meth:`summary`.
        """
        if sel.level not in CHILD_LEVEL:
            return _with_attrs(self.summary(sel).iloc[:0], "Единицы")
        rows = self._rows(sel)
        codes, index = self._child_codes(CHILD_LEVEL[sel.level])
        local, uniq = pd.factorize(codes[rows], sort=True)
        sums = self._sum_by(rows, local, len(uniq))
        frame = self._summary_rows(sums)
        ids = index[uniq]
        frame.insert(
            0, "unit", [self.unit_name(CHILD_LEVEL[sel.level], i) for i in ids]
        )
        frame.insert(0, "unit_id", list(ids))
        frame = frame.sort_values("unit", kind="stable").reset_index(drop=True)
        return _with_attrs(frame, "Единицы")

    def items(self, form_id: str) -> pd.DataFrame:
        """Tasks of a form: ``position, task, max_score, level``."""
        items = self._items.get(form_id)
        if items is None:
            return pd.DataFrame(columns=["position", "task", "max_score", "level"])
        return items[["position", "task", "max_score", "level"]]

    def _completion(self, sums: _Sums, items: pd.DataFrame) -> np.ndarray:
        cols = items["position"].to_numpy() - 1
        n = np.atleast_1d(sums.n)[:, None]
        maxima = items["max_score"].to_numpy(dtype=float)[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.atleast_2d(sums.points)[:, cols] / (n * maxima) * 100

    def tasks(self, sel: Selection) -> pd.DataFrame:
        """Completion of each task by the selected unit, with its reference level.

        Returns
        -------
        pandas.DataFrame
            ``position, task, level, max_score, participants, completion_pct,
            full_pct, partial_pct, zero_pct, status``.

        Notes
        -----
        ``completion_pct = Σ points / (participants · max) · 100`` (ФИС ОКО);
        ``full_pct``, ``partial_pct`` and ``zero_pct`` are the shares of
        participants with full, partial and no credit (a task left blank counts
        as no credit). ``status`` is the reference level reached (see
        :func:`task_statuses`, in Russian): достаточный, неопределённый,
        недостаточный, мало участников (under ``min_group_size``) or уровень не
        задан (the task has no difficulty level).
        """
        sums = self._sum(self._rows(sel))
        items = self.items(sel.form_id)
        cols = items["position"].to_numpy() - 1
        n = float(sums.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            full = sums.full[cols] / n * 100
            some = sums.positive[cols] / n * 100
        frame = items[["position", "task", "level", "max_score"]].copy()
        frame["participants"] = int(n)
        frame["completion_pct"] = self._completion(sums, items)[0]
        frame["full_pct"] = full
        frame["partial_pct"] = some - full
        frame["zero_pct"] = 100 - some if n else np.nan
        status = task_statuses(
            frame["completion_pct"], frame["level"], n, min_group=self.min_group
        )
        frame["status"] = [STATUS_NAMES[k] for k in status]
        return _with_attrs(frame.reset_index(drop=True), "Задания")

    def heatmap(self, sel: Selection) -> pd.DataFrame:
        """Units × tasks: completion of every task by each unit one level below.

        Returns
        -------
        pandas.DataFrame
            One row per unit below the selection (a class: the class itself) and a
            last row for the selected unit as a whole: ``unit_id, unit,
            participants`` then one column per task label with its completion
            in percent (the formula of :meth:`tasks`). The task levels are in
            ``frame.attrs["levels"]`` (label → Б/П/В).
        """
        items = self.items(sel.form_id)
        rows = self._rows(sel)
        total = self._sum(rows)
        if sel.level in CHILD_LEVEL:
            child = CHILD_LEVEL[sel.level]
            codes, index = self._child_codes(child)
            local, uniq = pd.factorize(codes[rows], sort=True)
            sums = self._sum_by(rows, local, len(uniq))
            ids = list(index[uniq])
            names = [self.unit_name(child, i) for i in ids]
            pct = self._completion(sums, items)
            n = sums.n
            order = np.argsort(names, kind="stable")
            ids = [ids[i] for i in order]
            names = [names[i] for i in order]
            pct, n = pct[order], n[order]
        else:
            ids, names, pct, n = [], [], np.zeros((0, len(items))), np.zeros(0)
        ids.append(sel.unit_id)
        names.append(f"Итого: {self.unit_name(sel.level, sel.unit_id)}")
        pct = np.vstack([pct, self._completion(total, items)])
        n = np.append(n, total.n)
        labels = [str(t) for t in items["task"]]
        frame = pd.DataFrame(pct, columns=labels)
        frame.insert(0, "participants", n.astype(int))
        frame.insert(0, "unit", names)
        frame.insert(0, "unit_id", ids)
        frame = _with_attrs(frame, "Карта заданий", percent=labels)
        frame.attrs["levels"] = dict(zip(labels, items["level"], strict=True))
        return frame

    def distribution(self, sel: Selection) -> pd.DataFrame:
        """Participants at each primary score, with the mark of each score.

        Returns
        -------
        pandas.DataFrame
            ``score, count, pct, mark`` for every score from 0 to the form's
            maximum: ``count`` participants have the score, ``pct`` is their
            share of the participants with a score,
            ``mark`` the mark of that score by params/scales.yaml (NaN without
            a scale). The mark boundaries (minimum scores of «3», «4», «5») are
            in ``frame.attrs["thresholds"]``, the participants with a score in
            ``frame.attrs["participants"]``.

        Notes
        -----
        Scores are rounded to whole points. A distribution needs about
        ``min_distribution_size`` participants (50) to be read.
        """
        sums = self._sum(self._rows(sel))
        form = self.forms.loc[sel.form_id]
        top = form["max_score"]
        width = int(top) + 1 if pd.notna(top) else len(sums.hist)
        hist = np.zeros(max(width, len(sums.hist)))
        hist[: len(sums.hist)] = sums.hist
        hist = hist[:width] if hist[width:].sum() == 0 else hist
        total = hist.sum()
        thresholds = mark_thresholds(
            form["study"], form["subject"], int(form["grade"]), self.year
        )
        scores = np.arange(len(hist))
        frame = pd.DataFrame(
            {
                "score": scores,
                "count": hist.astype(int),
                "pct": hist / total * 100 if total else np.full(len(hist), np.nan),
            }
        )
        if thresholds:
            frame["mark"] = 2 + np.searchsorted(thresholds, scores, side="right")
        else:
            frame["mark"] = np.nan
        frame = _with_attrs(frame, "Распределение баллов", percent=["pct"])
        frame.attrs["thresholds"] = thresholds
        frame.attrs["participants"] = int(total)
        return frame

    # Comparison

    def similar(self, sel: Selection, *, k: int = SIMILAR_COUNT) -> list[str]:
        """Ids of the units most like the selected one, for a comparison.

        Schools and municipalities: the ``k`` units of the same region with
        results of the form whose social index (for a municipality, the mean
        over its schools) is nearest; where the index is unknown, the units
        nearest by the number of participants. A class is compared with the
        classes of the schools similar to its school, so for a class the ids
        returned are schools. A region has no similar units here.
        """
        if sel.level == "region":
            return []
        level = "school" if sel.level == "class" else sel.level
        unit = (
            self._class_school.get(sel.unit_id) if sel.level == "class" else sel.unit_id
        )
        part = self._form_slice(sel.form_id)
        codes, index = self._child_codes(level)
        local = codes[part]
        keep = local >= 0
        weights = self._sums.n[part][keep]
        sizes = np.bincount(local[keep], weights=weights, minlength=len(index))
        ids = index[np.flatnonzero(sizes > 0)]
        if unit not in ids:
            return []

        # Social index of each unit; participants where it is unknown
        social = self._schools["social_index"]
        if level == "municipality":
            social = social.groupby(self._schools["municipality_id"]).mean()
        feature = pd.Series(social.reindex(ids).to_numpy(dtype=float), index=ids)
        if pd.isna(feature[unit]) or feature.notna().sum() <= k:
            feature = pd.Series(sizes[index.get_indexer(ids)], index=ids)

        # The nearest units of the same region
        regions = self._regions_of(level)
        same = [regions.get(i) == regions.get(unit) for i in ids]
        candidates = feature[same].drop(unit).dropna()
        distance = (candidates - feature[unit]).abs()
        return list(distance.sort_values(kind="stable").index[:k])

    def _regions_of(self, level: str) -> dict[str, object]:
        """Unit id → region id of every school or municipality (cached)."""
        cache = self.__dict__.setdefault("_region_cache", {})
        if level not in cache:
            schools = self._schools
            if level == "school":
                cache[level] = schools["region_id"].to_dict()
            else:
                by_muni = schools.dropna(subset=["municipality_id"])
                cache[level] = dict(
                    zip(by_muni["municipality_id"], by_muni["region_id"], strict=True)
                )
        return cache[level]

    def compare(self, sel: Selection) -> pd.DataFrame:
        """The selected unit beside its parent territory, similar units and the region.

        Returns
        -------
        pandas.DataFrame
            Rows ``unit``, ``parent``, ``similar`` and ``region`` (those that
            exist for the level) in column ``group``, with ``group_name`` (in
            Russian), ``name`` and the columns of :meth:`summary`. The similar
            units (see :meth:`similar`) are summed into one group, weighted by
            participants; their ids are in ``frame.attrs["similar"]``.
        """
        groups = self._compare_groups(sel)
        parts = []
        for key, title, name, rows in groups:
            row = self._summary_rows(self._sum(rows))
            row.insert(0, "name", name)
            row.insert(0, "group_name", title)
            row.insert(0, "group", key)
            parts.append(row)
        frame = pd.concat(parts, ignore_index=True)
        frame = _with_attrs(frame, "Сравнение")
        frame.attrs["similar"] = self.similar(sel)
        return frame

    def compare_tasks(self, sel: Selection) -> pd.DataFrame:
        """Completion of each task by the unit, its parent, similar units and region.

        Returns
        -------
        pandas.DataFrame
            ``position, task, level, unit_pct, parent_pct, similar_pct,
            region_pct, diff_parent_pp`` (the last is ``unit_pct − parent_pct``
            in percentage points); a column is NaN where its group does not
            exist for the level. Completion as in :meth:`tasks`. The
            participants of each group are in ``frame.attrs["participants"]``
            (column → number).
        """
        items = self.items(sel.form_id)
        frame = items[["position", "task", "level"]].copy()
        for key in ("unit", "parent", "similar", "region"):
            frame[f"{key}_pct"] = np.nan
        sizes = {}
        for key, _title, _name, rows in self._compare_groups(sel):
            sums = self._sum(rows)
            frame[f"{key}_pct"] = self._completion(sums, items)[0]
            sizes[f"{key}_pct"] = int(sums.n)
        frame["diff_parent_pp"] = frame["unit_pct"] - frame["parent_pct"]
        frame = _with_attrs(frame.reset_index(drop=True), "Сравнение по заданиям")
        frame.attrs["participants"] = sizes
        return frame

    def _compare_groups(self, sel: Selection) -> list[tuple[str, str, str, np.ndarray]]:
        name = self.unit_name(sel.level, sel.unit_id)
        groups = [("unit", LEVEL_NAMES[sel.level].capitalize(), name, self._rows(sel))]
        parent = self.parent(sel.level, sel.unit_id)
        if parent and parent[0] != "region":
            p_sel = Selection(parent[0], parent[1], sel.form_id)
            groups.append(
                (
                    "parent",
                    "Вышестоящая единица",
                    self.unit_name(*parent),
                    self._rows(p_sel),
                )
            )
        similar = self.similar(sel)
        if similar:
            level = "school" if sel.level == "class" else sel.level
            rows = np.concatenate(
                [self._rows(Selection(level, u, sel.form_id)) for u in similar]
            )
            groups.append(
                ("similar", "Похожие единицы", f"{len(similar)} похожих", rows)
            )
        region = self._region_of_unit(sel)
        if region is not None and sel.level != "region":
            r_sel = Selection("region", region, sel.form_id)
            groups.append(
                (
                    "region",
                    "Регион",
                    self.unit_name("region", region),
                    self._rows(r_sel),
                )
            )
        return groups

    def _region_of_unit(self, sel: Selection) -> str | None:
        level, unit = sel.level, sel.unit_id
        while level != "region":
            parent = self.parent(level, unit)
            if parent is None:
                return None
            level, unit = parent
        return unit


def _with_attrs(frame: pd.DataFrame, title: str, *, percent=None) -> pd.DataFrame:
    frame.attrs["title"] = title
    frame.attrs["percent"] = list(percent or []) + [
        c for c in frame.columns if str(c).endswith("_pct")
    ]
    return frame


def _ids(values: pd.Series) -> pd.Series:
    """Territory ids as strings, :data:`NO_TERRITORY` where unknown."""
    return pd.Series(
        [NO_TERRITORY if pd.isna(v) else str(v) for v in values],
        index=values.index,
        dtype=object,
    )
