"""Stage 2: expert review, Kendall's W, acts, the list and the matrix."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from cyclolib.indicators import stage2
from cyclolib.indicators.catalogue import load_catalogue


def test_kendall_w_hand_example():
    # Reference, worked by hand: 3 experts rank 4 objects (1 = best):
    # E1 1 2 3 4, E2 2 1 3 4, E3 1 3 2 4 → rank sums 4, 6, 8, 12;
    # S = 3.5² + 1.5² + 0.5² + 4.5² = 35; W = 12·35 / (9·60) = 0.7778;
    # χ² = m(n−1)W = 7.0 on 3 df, p = 0.0719.
    ranks = pd.DataFrame(
        [[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4]], columns=list("abcd")
    )
    res = stage2.kendall_w(-ranks)  # higher rating = better
    assert res["W"] == pytest.approx(7 / 9)
    assert res["chi2"] == pytest.approx(7.0)
    assert res["p_val"] == pytest.approx(stats.chi2.sf(7.0, 3))
    assert res["p_val"] == pytest.approx(0.0719, abs=1e-4)


def test_kendall_w_with_ties_against_friedman():
    # Reference: W = χ²_F / (m(n−1)) with Friedman's tie-corrected statistic
    # (scipy.stats.friedmanchisquare).
    ratings = pd.DataFrame(
        [[5, 5, 3, 2], [4, 5, 3, 3], [5, 4, 4, 1], [3, 5, 2, 2], [5, 4, 3, 1]],
        columns=list("abcd"),
    )
    res = stage2.kendall_w(ratings)
    chi2 = stats.friedmanchisquare(*[ratings[c] for c in ratings]).statistic
    assert res["W"] == pytest.approx(chi2 / (5 * 3))
    assert res["chi2"] == pytest.approx(chi2)


def test_kendall_w_perfect_agreement_and_bad_input():
    same = pd.DataFrame([[3, 2, 1]] * 4, columns=list("xyz"))
    assert stage2.kendall_w(same)["W"] == pytest.approx(1.0)
    with pytest.raises(ValueError) as err:
        stage2.kendall_w(same.iloc[:1])
    assert str(err.value) == (
        "Для W Кендалла нужно не меньше двух экспертов и двух объектов, получено 1 и 3"
    )


def test_shipped_review_accepts_the_approved_candidates():
    ratings = stage2.read_ratings("experts/ratings-2026.csv")
    table, agreement = stage2.expert_review(ratings)
    assert agreement["agreed"] and agreement["experts"] == 7
    accepted = set(table.loc[table["accepted"], "indicator"])
    assert accepted == {
        "level_completion_pct",
        "between_school_pct",
        "school_gap_top_bottom",
        "urban_rural_gap",
    }
    # The review agrees with the catalogue: accepted candidates are approved,
    # the rejected one is still under review.
    catalogue = load_catalogue()
    for indicator in table["indicator"]:
        assert catalogue.get(indicator).approved == (indicator in accepted)
    # Mean rating by hand: level_completion_pct 5,5,4,5,4,5,5 → 33/7.
    row = table[table["indicator"] == "level_completion_pct"].iloc[0]
    assert row["mean_rating"] == pytest.approx(33 / 7)


def test_review_without_agreement_accepts_nothing():
    ratings = pd.DataFrame(
        [[5, 1, 3], [1, 5, 3], [3, 3, 5]],
        columns=["participants", "sou_pct", "mean_mark"],
    )
    table, agreement = stage2.expert_review(ratings)
    assert not agreement["agreed"] and not table["accepted"].any()


def test_rating_form_errors(tmp_path):
    form = tmp_path / "r.csv"
    form.write_text("эксперт,sou_pct,mean_mark\nА,5,4\nБ,6,3\n", encoding="utf-8")
    with pytest.raises(stage2.ReviewError) as err:
        stage2.read_ratings(form)
    assert str(err.value) == (
        f"{form}, строка 3, столбец «sou_pct»: ожидалась оценка от 1 до 5, найдено «6»"
    )
    form.write_text("эксперт,sou_pct,no_such\nА,5,4\n", encoding="utf-8")
    with pytest.raises(stage2.ReviewError) as err:
        stage2.read_ratings(form)
    assert str(err.value) == (
        f"{form}, столбец «no_such»: ожидался код показателя из каталога, "
        "такого показателя нет"
    )


def write_form_xlsx(path, rows):
    """A rating form as experts fill it in Excel: ratings as numbers."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Оценки")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path


def test_rating_form_in_xlsx_reads_as_the_csv(tmp_path):
    # Reference: the shipped CSV form; the same table typed into an XLSX
    # workbook (numbers as numeric cells, one as «4,0» text) must give the
    # same ratings and the same review.
    shipped = stage2.PARAMS_DIR / "experts" / "ratings-2026.csv"
    table = pd.read_csv(shipped, dtype=str, encoding="utf-8-sig")
    rows = [list(table.columns)]
    for record in table.itertuples(index=False):
        rows.append([record[0], record[1], *(int(v) for v in record[2:])])
    rows[3][4] = "4,0"  # Э3, school_gap_top_bottom: 4 written with a comma
    form = write_form_xlsx(tmp_path / "оценки.xlsx", rows)
    from_xlsx = stage2.read_ratings(form)
    from_csv = stage2.read_ratings("experts/ratings-2026.csv")
    pd.testing.assert_frame_equal(from_xlsx, from_csv)
    assert from_xlsx.loc["Э3", "school_gap_top_bottom"] == 4.0
    assert list(from_xlsx.columns) == list(table.columns[2:])
    table_x, agreement_x = stage2.expert_review(from_xlsx)
    table_c, agreement_c = stage2.expert_review(from_csv)
    pd.testing.assert_frame_equal(table_x, table_c)
    assert agreement_x["W"] == pytest.approx(agreement_c["W"])


def test_rating_form_errors_in_xlsx(tmp_path):
    # The row is counted as Excel shows it: the header is row 1.
    form = write_form_xlsx(
        tmp_path / "r.xlsx",
        [["эксперт", "sou_pct", "mean_mark"], ["А", 5, 4], ["Б", 3, "хорошо"]],
    )
    with pytest.raises(stage2.ReviewError) as err:
        stage2.read_ratings(form)
    assert str(err.value) == (
        f"{form}, строка 3, столбец «mean_mark»: ожидалась оценка от 1 до 5, "
        "найдено «хорошо»"
    )
    form = write_form_xlsx(
        tmp_path / "r.xlsx", [["эксперт", "sou_pct", "mean_mark"], ["А", 5, 0]]
    )
    with pytest.raises(stage2.ReviewError) as err:
        stage2.read_ratings(form)
    assert str(err.value) == (
        f"{form}, строка 2, столбец «mean_mark»: ожидалась оценка от 1 до 5, "
        "найдено «0»"
    )
    form = write_form_xlsx(tmp_path / "r.xlsx", [["ФИО", "sou_pct"], ["А", 5]])
    with pytest.raises(stage2.ReviewError) as err:
        stage2.read_ratings(form)
    assert str(err.value) == f"{form}: нет столбца «эксперт»; найдены ФИО, sou_pct"


def test_acts_list_and_matrix():
    acts = stage2.approval_acts()
    assert list(acts["count"]) == [34, 4]
    listed = stage2.consolidated_list()
    assert len(listed) == acts["count"].sum()
    assert listed["source_level"].iloc[0] == "федеральный"
    assert listed["source_level"].iloc[-1] == "локальный"
    matrix = stage2.responsibility_matrix()
    assert (matrix == "О").sum(axis=1).eq(1).all()
    assert len(matrix) == len(listed)
    inherited = stage2.inherited(level="municipality")
    assert set(inherited["source_level"]) == {"федеральный", "региональный"}
    draft = stage2.local_draft(level="region")
    assert "urban_rural_gap" in set(draft["indicator"])
    # The local candidates still on their way to approval
    pending = draft.loc[draft["status"] != "утверждён", "indicator"]
    assert set(pending) == {"mark_2_pct_change", "mark_2_pct_change_p"}
    assert "mark_2_pct_change" not in set(listed["indicator"])
    assert "journal_diff2_pct" in set(inherited["indicator"])
