"""`cyclo compute` on every real file against a computation straight from the xlsx.

Reference: the exports of ../shared/data/vpr-altai read cell by cell with
python_calamine and counted with numpy and scipy, never with the suite's
formulas: marks from the scale of SOURCE.md (6/10/15 of 20 for maths 4),
municipalities from schools.xlsx, task maxima, levels and КЭС/КТ codes from
the КИМ description kim/4/Математика/ALL.xlsx. Shares carry the Wilson
interval of ``scipy.stats.binomtest(...).proportion_ci(method="wilson")``,
means the t interval of ``scipy.stats.t``, the dynamics Welch's test of
``scipy.stats.ttest_ind`` and a two-proportion z test written out here, the
share of variance between schools a one-way ANOVA written out here (its F
checked against ``scipy.stats.f_oneway``). The rows the loader rejected
(listed with their reasons in its rejects table) are left out on both sides.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from scipy import stats

from cyclolib.indicators import values

pytestmark = pytest.mark.realdata

FILE_2021 = "2021/Проведение работы по математике, 4 класс. ВПР 2021.xlsx"
FILE_2020 = "2020/Математика 4.xlsx"
THRESHOLDS = (6, 10, 15)  # «3», «4», «5» from, of 20 (SOURCE.md)
MAX_SCORE = 20
TASKS = 15
NOT_DONE = {"", "x", "х", "не пройд."}  # the task was not done: 0 points
CONF = 0.95


# ------------------------------------------------------------- raw files


def _sheet(path) -> tuple[list, list]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return rows[0], rows[1:]


def _points(cell) -> float:
    text = str(cell).strip()
    return 0.0 if text.lower() in NOT_DONE else float(text)


def _rejected(con, fragment: str) -> set[int]:
    return {
        r
        for (r,) in con.execute(
            "SELECT DISTINCT r.row FROM rejects r JOIN loads l USING (load_id) "
            "WHERE l.path LIKE ?",
            [f"%{fragment}"],
        ).fetchall()
    }


def _frame(records, rejected, n_rows) -> pd.DataFrame:
    # The loader rejects only a handful of rows: the comparison is meaningful
    assert 0 < len(rejected) < 0.01 * n_rows
    frame = pd.DataFrame(records)
    frame["mark"] = 2 + sum(
        (frame["score"] >= t).astype(int) for t in THRESHOLDS
    ).where(~frame["absent"])
    frame["pct"] = 100 * frame["score"] / MAX_SCORE
    return frame


@pytest.fixture(scope="module")
def raw(real_values_con, shared_data):
    """Students of maths grade 4 in 2021 and 2020, one row each."""
    vpr = shared_data / "vpr-altai"
    _, school_rows = _sheet(vpr / "schools.xlsx")
    municipality = {str(r[0]).strip(): str(r[2]).strip() for r in school_rows}

    # 2021, «Проведение работы»
    header, rows = _sheet(vpr / FILE_2021)
    col = {name: i for i, name in enumerate(header)}
    tasks = [col[f"балл за {k}"] for k in range(1, TASKS + 1)]
    rejected = _rejected(real_values_con, FILE_2021)
    records = []
    for number, row in enumerate(rows, start=2):
        if number in rejected:
            continue
        login = str(row[col["логин школы"]]).strip()
        absent = str(row[col["вариант"]]).strip() == "отсутствовал"
        records.append(
            {
                "school": login,
                "municipality": municipality.get(login),
                "klass": str(row[col["класс"]]).strip(),
                "absent": absent,
                "score": np.nan if absent else float(row[col["всего баллов"]]),
                **{
                    f"t{k}": np.nan if absent else _points(row[i])
                    for k, i in enumerate(tasks, start=1)
                },
            }
        )
    now = _frame(records, rejected, len(rows))

    # 2020, the raw system export
    header, rows = _sheet(vpr / FILE_2020)
    col = {name: i for i, name in enumerate(header)}
    rejected = _rejected(real_values_con, FILE_2020)
    records = []
    for number, row in enumerate(rows, start=2):
        if number in rejected:
            continue
        login = str(row[col["user"]]).strip()
        absent = str(row[col["var-1"]]).strip() == "отсутствовал"
        total = str(row[col["sum"]]).strip()
        if not absent and not total:
            # A few rows have no total: it is the sum of their tasks
            total = sum(_points(row[col[f"a-{k}-grade"]]) for k in range(1, 16))
        records.append(
            {
                "school": login,
                "municipality": municipality.get(login),
                "absent": absent,
                "score": np.nan if absent else float(total),
            }
        )
    before = _frame(records, rejected, len(rows))
    return now, before


@pytest.fixture(scope="module")
def kim(shared_data):
    """Maximum, level and КЭС/КТ codes of each task position, from ALL.xlsx."""
    header, rows = _sheet(
        shared_data / "vpr-altai" / "kim" / "4" / "Математика" / "ALL.xlsx"
    )
    col = {name: i for i, name in enumerate(header)}
    top, level, codes = {}, {}, defaultdict(set)
    for row in rows:
        if not str(row[col["№"]]).strip():
            continue
        pos = int(float(row[col["№"]]))
        top[pos] = float(row[col["Максимальный балл за выполнение задания"]])
        level[pos] = str(row[col["Уровень сложности"]]).strip()
        for kind, name in (("kes", "Код КЭС"), ("kt", "Код КТ")):
            code = str(row[col[name]]).strip().removesuffix(".0")
            codes[(kind, code)].add(pos)
    for letter in set(level.values()):
        codes[("level", letter)] = {p for p, lv in level.items() if lv == letter}
    assert sorted(top) == list(range(1, TASKS + 1))
    assert sum(top.values()) == MAX_SCORE
    return top, codes


# ------------------------------------------------------------ references


def _wilson(hits: int, n: int) -> tuple[float, float, float]:
    ci = stats.binomtest(int(hits), int(n)).proportion_ci(CONF, method="wilson")
    return 100 * hits / n, 100 * ci.low, 100 * ci.high


def _t_mean(x) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=float)
    if x.std() == 0:
        # Everyone alike: the interval shrinks to the value
        return x.mean(), x.mean(), x.mean()
    low, high = stats.t.interval(CONF, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    return x.mean(), low, high


def _row(frame: pd.DataFrame, indicator: str, task: str = ""):
    hit = frame[(frame["indicator"] == indicator) & (frame["task"] == task)]
    assert len(hit) == 1, (indicator, task, len(hit))
    return hit.iloc[0]


def _same(row, expected, n=None) -> None:
    value, low, high = expected
    assert row["value"] == pytest.approx(value, rel=1e-9, abs=1e-9)
    assert row["ci_low"] == pytest.approx(low, rel=1e-9, abs=1e-9)
    assert row["ci_high"] == pytest.approx(high, rel=1e-9, abs=1e-9)
    if n is not None:
        assert row["n"] == n


def _units(con, level: str, year: int = 2021) -> dict[str, pd.DataFrame]:
    frame = values(con, level=level, year=year, subject="ma", grade=4)
    key = "unit_name" if level == "municipality" else "unit_id"
    return dict(list(frame.groupby(key)))


def _groups(now: pd.DataFrame, level: str, *, least: int = 1):
    """(stored unit key, students) for the region, municipalities or schools."""
    if level == "region":
        return [("RU-22", now)]
    key = "municipality" if level == "municipality" else "school"
    part = now[~now["absent"]]
    sizes = part.groupby(key).size()
    keep = sizes[sizes >= least].index
    return [(k, now[now[key] == k]) for k in sorted(keep)]


# ----------------------------------------------------------------- tests


def test_mean_mark_and_absent_share(real_values_con, raw):
    now, _ = raw
    checked = 0
    for level, least in (("region", 1), ("municipality", 2), ("school", 30)):
        stored = _units(real_values_con, level)
        for unit, group in _groups(now, level, least=least):
            got = stored[unit]
            part = group[~group["absent"]]
            # Mean mark: t interval of the students' marks, within 2–5
            mean, low, high = _t_mean(part["mark"])
            _same(
                _row(got, "mean_mark"),
                (mean, max(low, 2), min(high, 5)),
                n=len(part),
            )
            # Absent share over everyone listed, Wilson interval
            _same(
                _row(got, "absent_pct"),
                _wilson(group["absent"].sum(), len(group)),
                n=len(group),
            )
            checked += 1
    assert checked > 100


def test_kes_kt_and_level_completion_from_the_kim(real_values_con, raw, kim):
    now, _ = raw
    top, codes = kim
    indicator = {
        "kes": "kes_completion_pct",
        "kt": "kt_completion_pct",
        "level": "level_completion_pct",
    }
    for level, least in (("region", 1), ("municipality", 400), ("school", 60)):
        stored = _units(real_values_con, level)
        for unit, group in _groups(now, level, least=least):
            got = stored[unit]
            part = group[~group["absent"]]
            shown = got[got["indicator"].isin(indicator.values())]
            assert set(zip(shown["indicator"], shown["task"], strict=True)) == {
                (indicator[kind], code) for kind, code in codes
            }
            for (kind, code), positions in codes.items():
                # Each student's fraction of the code's maximum
                points = part[[f"t{p}" for p in sorted(positions)]].sum(axis=1)
                frac = 100 * points / sum(top[p] for p in positions)
                mean, low, high = _t_mean(frac)
                # The mean fraction is the pooled completion of the code
                pooled = (
                    100 * points.sum() / (len(part) * sum(top[p] for p in positions))
                )
                assert mean == pytest.approx(pooled)
                _same(
                    _row(got, indicator[kind], code),
                    (mean, max(low, 0), min(high, 100)),
                    n=len(part),
                )


def test_primary_score_distribution(real_values_con, raw):
    now, _ = raw
    for level, least in (("region", 1), ("municipality", 500), ("school", 100)):
        stored = _units(real_values_con, level)
        for unit, group in _groups(now, level, least=least):
            got = stored[unit]
            got = got[got["indicator"] == "score_distribution_pct"]
            scores = group.loc[~group["absent"], "score"].astype(int)
            counts = scores.value_counts()
            assert set(got["task"]) == {str(s) for s in counts.index}
            for score, hits in counts.items():
                _same(
                    _row(got, "score_distribution_pct", str(score)),
                    _wilson(hits, len(scores)),
                    n=len(scores),
                )


def _z_two_proportions(k1, n1, k0, n0):
    """Difference in points of percent, Wald interval, pooled z test's p."""
    p1, p0 = k1 / n1, k0 / n0
    pooled = (k1 + k0) / (n1 + n0)
    if pooled in (0, 1):
        # Both shares 0 % or both 100 %: no difference, p = 1 (stats.py)
        return 0.0, 0.0, 0.0, 1.0
    z = (p1 - p0) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    half = stats.norm.ppf(0.975) * np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    d = p1 - p0
    return 100 * d, 100 * (d - half), 100 * (d + half), 2 * stats.norm.sf(abs(z))


def test_dynamics_2020_to_2021_with_significance(real_values_con, raw):
    now, before = raw
    checked = 0
    for level in ("region", "municipality"):
        stored = _units(real_values_con, level)
        earlier = dict(_groups(before, level, least=2))
        for unit, group in _groups(now, level, least=2):
            if unit not in earlier:
                continue
            got = stored[unit]
            a = group.loc[~group["absent"], "pct"]
            b = earlier[unit].loc[~earlier[unit]["absent"], "pct"]

            # Mean percent of the maximum: Welch's t test
            welch = stats.ttest_ind(a, b, equal_var=False)
            ci = welch.confidence_interval(CONF)
            row = _row(got, "mean_score_pct_change")
            _same(row, (a.mean() - b.mean(), ci.low, ci.high), n=len(a))
            p = _row(got, "mean_score_pct_change_p")["value"]
            assert p == pytest.approx(welch.pvalue, rel=1e-6, abs=1e-12)

            # Success and quality: two proportions
            m1 = group.loc[~group["absent"], "mark"]
            m0 = earlier[unit].loc[~earlier[unit]["absent"], "mark"]
            for indicator, least in (("success_pct", 3), ("quality_pct", 4)):
                d, low, high, p = _z_two_proportions(
                    (m1 >= least).sum(), len(m1), (m0 >= least).sum(), len(m0)
                )
                _same(_row(got, f"{indicator}_change"), (d, low, high), n=len(m1))
                got_p = _row(got, f"{indicator}_change_p")["value"]
                assert got_p == pytest.approx(p, rel=1e-6, abs=1e-12)
            checked += 1
    # The region and most of its municipalities wrote both years
    assert checked > 50


def _anova_icc(groups: list[np.ndarray]) -> tuple[float, float, float]:
    """ICC(1) in percent with its F interval, from a plain one-way ANOVA."""
    k = len(groups)
    sizes = np.array([len(g) for g in groups], dtype=float)
    total = sizes.sum()
    grand = np.concatenate(groups).mean()
    ssb = sum(len(g) * (g.mean() - grand) ** 2 for g in groups)
    ssw = sum(((g - g.mean()) ** 2).sum() for g in groups)
    msb, msw = ssb / (k - 1), ssw / (total - k)
    f = msb / msw
    assert f == pytest.approx(stats.f_oneway(*groups).statistic)
    n0 = (total - (sizes**2).sum() / total) / (k - 1)
    icc = (msb - msw) / (msb + (n0 - 1) * msw)
    f_low = f / stats.f.ppf(0.975, k - 1, total - k)
    f_high = f * stats.f.ppf(0.975, total - k, k - 1)
    low = (f_low - 1) / (f_low + n0 - 1)
    high = (f_high - 1) / (f_high + n0 - 1)
    return 100 * icc, 100 * max(low, -1), 100 * min(high, 1)


def test_between_school_share_and_top_bottom_gap(real_values_con, raw):
    now, _ = raw
    part = now[~now["absent"]]
    checked = 0
    for level in ("region", "municipality"):
        stored = _units(real_values_con, level)
        for unit, group in _groups(part, level, least=1):
            got = stored[unit]
            schools = {s: g["pct"].to_numpy() for s, g in group.groupby("school")}
            if len(schools) < 2:
                continue
            row = _row(got, "between_school_pct")
            _same(row, _anova_icc(list(schools.values())), n=len(group))

            # Top against bottom tenth of the schools with ten participants
            big = {s: x for s, x in schools.items() if len(x) >= 10}
            m = len(big) // 10
            if m == 0:
                assert not (got["indicator"] == "school_gap_top_bottom").any()
                continue
            ranked = sorted(big, key=lambda s: big[s].mean())
            means = [big[s].mean() for s in ranked]
            # No tie at either cut: the tenths are the same whatever the order
            assert means[m - 1] < means[m] and means[-m - 1] < means[-m]
            top = np.concatenate([big[s] for s in ranked[-m:]])
            bottom = np.concatenate([big[s] for s in ranked[:m]])
            ci = stats.ttest_ind(top, bottom, equal_var=False).confidence_interval(CONF)
            _same(
                _row(got, "school_gap_top_bottom"),
                (top.mean() - bottom.mean(), ci.low, ci.high),
                n=len(top) + len(bottom),
            )
            checked += 1
    assert checked >= 5


def test_class_values(real_values_con, raw):
    now, _ = raw
    part = now[~now["absent"]].copy()
    # Classes named by one letter (case ignored) or without a letter («нет»)
    letter = part["klass"].str.upper()
    simple = letter.str.fullmatch(r"[А-ЯЁ]") | letter.eq("НЕТ")
    part = part[simple]
    part["class_id"] = (
        part["school"]
        + "/2021/4"
        + np.where(letter[simple].eq("НЕТ"), "", "/" + letter[simple])
    )
    stored = values(real_values_con, level="class", year=2021, subject="ma", grade=4)
    stored = dict(list(stored.groupby("unit_id")))
    checked = 0
    for class_id, group in part.groupby("class_id"):
        if len(group) < 2:
            continue
        got = stored[class_id]
        assert _row(got, "participants")["value"] == len(group)
        _same(_row(got, "mean_primary_score"), _t_mean(group["score"]), n=len(group))
        _same(
            _row(got, "quality_pct"),
            _wilson((group["mark"] >= 4).sum(), len(group)),
            n=len(group),
        )
        assert bool(_row(got, "quality_pct")["small_group"]) == (len(group) < 10)
        checked += 1
    assert checked > 1000


def test_urban_rural_gap_from_the_context_form(real_values_con, raw, shared_data):
    now, _ = raw
    # Urban: the capital, a town or an urban-type settlement (answers 1–3);
    # rural: answer 4 of «Где расположена Ваша образовательная организация?»
    name = "Сбор контекстных данных об ОО и участниках ВПР 2021.xlsx"
    header, rows = _sheet(shared_data / "vpr-altai" / name)
    where = header.index("Где расположена Ваша образовательная организация?")
    rejected = _rejected(real_values_con, name)
    urban = {}
    for number, row in enumerate(rows, start=2):
        answer = str(row[where]).strip()[:1]
        if number not in rejected and answer in {"1", "2", "3", "4"}:
            urban[str(row[0]).strip()] = answer != "4"
    part = now[~now["absent"]].assign(urban=lambda f: f["school"].map(urban))
    assert part["urban"].notna().mean() > 0.95
    checked = 0
    for level in ("region", "municipality"):
        stored = _units(real_values_con, level)
        for unit, group in _groups(part, level):
            a = group.loc[group["urban"].eq(True), "pct"]
            b = group.loc[group["urban"].eq(False), "pct"]
            got = stored[unit]
            if len(a) < 2 or len(b) < 2:
                assert not (got["indicator"] == "urban_rural_gap").any()
                continue
            ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(CONF)
            _same(
                _row(got, "urban_rural_gap"),
                (a.mean() - b.mean(), ci.low, ci.high),
                n=len(a) + len(b),
            )
            checked += 1
    assert checked >= 10
