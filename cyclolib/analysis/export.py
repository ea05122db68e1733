"""Lists and tables of the analysis as XLSX workbooks with Russian headings."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..config import PRIVATE_REPORTS_DIR, study_name, subject_name
from ..indicators.formulas import STATUS_NAMES

log = logging.getLogger(__name__)

__all__ = [
    "COLUMN_NAMES",
    "study_name",
    "subject_name",
    "form_label",
    "readable",
    "russian_headings",
    "unit_workbook",
    "write_xlsx",
]

#: Values of code columns a reader sees in words: column -> code -> Russian.
VALUE_NAMES: dict[str, dict[str, str]] = {
    "model": {
        "context": "по контексту школы",
        "context+prior": "по контексту и результату параллели годом ранее",
    },
    "kind": {"kes": "КЭС", "kt": "КТ", "task": "задание"},
    "status": {**STATUS_NAMES, "small": "мало участников"},
}

#: Russian headings of the stable English columns of the analysis frames.
COLUMN_NAMES: dict[str, str] = {
    "study": "Исследование",
    "year": "Год",
    "subject": "Предмет",
    "grade": "Класс",
    "form_id": "Форма",
    "school_id": "Логин",
    "school_name": "ОО",
    "municipality_id": "Код муниципалитета",
    "municipality_name": "Муниципалитет",
    "region_id": "Регион",
    "unit_id": "Код единицы",
    "unit_name": "Единица",
    "teacher_id": "Код учителя",
    "n": "Участников",
    "participants": "Участников",
    "mean": "Средний балл",
    "sd": "Стандартное отклонение",
    "ci_low": "Нижняя граница 95 %",
    "ci_high": "Верхняя граница 95 %",
    "region_mean": "Средний балл региона",
    "region_ci_high": "Верхняя граница 95 % региона",
    "inflated_mean": "Завышенный средний балл",
    "inflated_mean_federal": "Завышенный средний балл (методика 2019 года)",
    "va_se": "Стандартная ошибка добавленной ценности",
    "va_tau": "Разброс добавленной ценности школ",
    "va_z": "Отклонение от ожидаемого, в стандартных ошибках",
    "above_context": "Выше ожидаемого по контексту",
    "n_pairs": "Участников с отметкой по журналу",
    "spearman_r": "Коэффициент Спирмена",
    "contradicts_marks": "Несоответствие школьным отметкам",
    "s4_prev": "Процент выполнения в 4 классе (прошлый год)",
    "s5": "Процент выполнения в 5 классе",
    "k_ratio": "Коэффициент K",
    "k_low": "Нижнее критическое значение K",
    "k_high": "Верхнее критическое значение K",
    "cohort_fall": "Резкое падение 4→5",
    "cohort_rise": "Резкий рост 4→5",
    "cohort_change": "Резкое изменение 4→5",
    "boundary_n": "Участников на границе или на балл ниже",
    "boundary_share": "Доля на границе",
    "region_boundary_share": "Доля на границе в регионе",
    "boundary_p": "p-значение пика",
    "boundary_peaks": "Пики на границах отметок",
    "diff2_pairs": "Участников с двумя отметками",
    "diff2_count": "Расхождений на 2 и более",
    "diff2_share": "Доля расхождений на 2 и более",
    "marks_differ_2": "Расхождение на 2 и более",
    "n_signs": "Количество признаков",
    "schools": "Школ",
    "marked": "Отмечено школ",
    "marked_pct": "Доля отмеченных, %",
    "index": "Индекс объективности",
    "cluster": "Кластер контекста",
    "value": "Значение",
    "cut_off": "Порог",
    "low": "Низкий результат",
    "years_low": "Лет подряд",
    "indicators": "Показатели",
    "tasks": "Задания",
    "skills": "Умения (КЭС/КТ)",
    "risks": "Контекстные риски",
    "observed": "Результат, % от максимума",
    "expected": "Ожидаемый результат",
    "value_added": "Добавленная ценность",
    "va_low": "Нижняя граница 95 % ДЦ",
    "va_high": "Верхняя граница 95 % ДЦ",
    "band": "Группа",
    "resilient": "Резильентная",
    "social_index": "Социальный индекс",
    "score": "Рейтинговый балл",
    "score_low": "Нижняя граница балла",
    "score_high": "Верхняя граница балла",
    "rank": "Место",
    "rank_low": "Место: лучшее в 95 %",
    "rank_high": "Место: худшее в 95 %",
    "tier": "Группа рейтинга",
    "kind": "Вид кода",
    "code": "Код",
    "name": "Название",
    "completion": "Выполнение, %",
    "status": "Статус",
    "topic": "Тема",
    "need": "Потребность",
    "result": "Результат",
    "amount": "Сумма",
    "share": "Доля бюджета, %",
    "results": "Результатов «4» и «5»",
    "deficit": "Дефицит",
    "insufficient": "Заданий ниже уровня",
    "n_tasks": "Заданий",
    "task_list": "Номера заданий",
    "units": "Единиц с дефицитом",
    "unit_list": "Единицы с дефицитом",
    "group": "Группа сравнения",
    "diff_mean_pct": "Единица минус группа, п.",
    "mean_pct": "Средний процент выполнения",
    "mean_score_pct": "Средний процент выполнения",
    "success_pct": "Успеваемость, %",
    "quality_pct": "Качество знаний, %",
    "sou_pct": "СОУ, %",
    "mark_2_pct": "Доля «2», %",
    "journal_diff2_pct": "Расхождений с журналом на 2 и более, %",
    "fail_share": "Доля «2», %",
    "listed": "В списке",
    "model": "Модель ожидаемого результата",
}


def form_label(study: str, subject: str, grade, year=None) -> str:
    """A form as a reader names it: «ВПР, Математика, 5 класс[, 2024]»."""
    parts = [study_name(study), subject_name(subject)]
    if grade is not None and not pd.isna(grade):
        parts.append(f"{int(grade)} класс")
    if year is not None and not pd.isna(year):
        parts.append(str(int(year)))
    return ", ".join(parts)


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of an analysis frame with codes a reader does not know in words.

    ``study`` and ``subject`` get their Russian names; ``form_id`` becomes the
    form's label (:func:`form_label`, from the frame's own ``study``,
    ``subject``, ``grade`` and ``year``); ``model``, ``kind`` and ``status``
    values of :data:`VALUE_NAMES` their Russian words. Other columns, and
    codes that are not known, are kept as they are.
    """
    out = frame.copy()
    if {"form_id", "study", "subject", "grade"} <= set(out.columns):
        years = out["year"] if "year" in out.columns else [None] * len(out)
        out["form_id"] = [
            form_label(st, su, g, y)
            for st, su, g, y in zip(
                out["study"], out["subject"], out["grade"], years, strict=True
            )
        ]
    if "study" in out.columns:
        out["study"] = out["study"].map(study_name)
    if "subject" in out.columns:
        out["subject"] = out["subject"].map(subject_name)
    for column, names in VALUE_NAMES.items():
        if column in out.columns:
            out[column] = out[column].map(lambda v, n=names: n.get(v, v))
    return out


def russian_headings(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its known English columns renamed to Russian headings."""
    return frame.rename(columns=COLUMN_NAMES)


def unit_workbook(
    stage: str,
    *,
    level: str,
    unit_id: str,
    year: int,
    folder: str | Path | None = None,
) -> Path:
    """Where a notebook keeps the tables of one unit's report as XLSX.

    ``<folder>/<stage>.xlsx``: the batch runner gives a notebook that declares
    the parameter ``xlsx_dir`` the unit's report folder; without one (a run by
    hand), ``reports-private/<year>/<level>/<unit_id>/`` — never the published
    ``reports/``.
    """
    if not folder:
        folder = PRIVATE_REPORTS_DIR / str(year) / level / unit_id
    return Path(folder) / f"{stage}.xlsx"


def write_xlsx(path: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write tables to one workbook, a sheet per table, with Russian headings.

    The suite's formatted writer (:func:`cyclolib.xlsx.write_tables`) does the
    work: sheet names cut to Excel's 31 characters and made unique, a frozen
    header row with a filter, fitted widths. Known English columns get their
    Russian heading (:data:`COLUMN_NAMES`).
    """
    from ..xlsx import write_tables

    path = Path(path)
    write_tables(path, {name: russian_headings(df) for name, df in tables.items()})
    log.info("таблицы записаны в %s", path)
    return path
