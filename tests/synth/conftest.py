"""Synthetic regions generated once per test session."""

from __future__ import annotations

import pytest

from cyclolib.synth import make_region

YEARS = [2022, 2023, 2024]


@pytest.fixture(scope="session")
def region_xlsx(tmp_path_factory):
    """60 schools, 5 municipalities, three years, ВПР in the 2021 layout."""
    out = tmp_path_factory.mktemp("region_xlsx")
    return make_region(
        seed=7, schools=60, municipalities=5, years=YEARS, out_dir=out, fmt="xlsx"
    )


@pytest.fixture(scope="session")
def region_csv(tmp_path_factory):
    """The same region in the exchange format only."""
    out = tmp_path_factory.mktemp("region_csv")
    return make_region(
        seed=7, schools=60, municipalities=5, years=YEARS, out_dir=out, fmt="csv"
    )


@pytest.fixture(scope="session")
def small_quirky(tmp_path_factory):
    """A small region with bad rows of every kind."""
    out = tmp_path_factory.mktemp("small_quirky")
    return make_region(
        seed=3, schools=12, municipalities=2, years=[2024], out_dir=out,
        fmt="xlsx", quirks=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def vpr_rows(region_xlsx):
    """The ВПР rows of ``region_xlsx``, read back from its workbooks."""
    from .helpers import vpr_results

    return vpr_results(region_xlsx)
