"""Whatever a cell of any import template holds (text of any script, floats
including inf, nan, huge and tiny ones, integers, dates, booleans), the import
either takes the row or names a problem with the cell: it never fails with an
exception. Text cells are read by the forms' own parsers (ui.fields)."""

import datetime as dt
import io

import openpyxl
import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from imports import services
from imports.allocations import AllocationImport
from imports.results import ResultImport
from imports.spend_returns import SpendReturnImport
from imports.spreadsheet import Refused
from tests.imports.files import template, upload, workbook_bytes

pytestmark = pytest.mark.django_db

PROPERTY = hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# openpyxl cannot write control characters, and text starting "=" is written as a
# formula (refused on its own, in tests/imports/test_bad_files.py).
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).filter(
    lambda value: not value.startswith("=")
)
numberish = st.sampled_from(
    [
        "£25,000",
        "25,000.50",
        " £ 1,250.5 ",
        "1e3",
        "1e30",
        "1e-30",
        "1_000",
        "1,0",
        "12,34,567",
        "١٢٣",
        "NaN",
        "Infinity",
        "-5",
        "0.001",
        "9" * 400,
        "31/03/2016",
        "2016-03-31",
        "31/2/2016",
        "1/1/16",
        "١/١/٢٠١٦",
        "20%",
    ]
)
any_value = st.one_of(
    st.none(),
    text,
    numberish,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e30, -1e30, 1e-30, 1e308, 5e-324, 0.1 + 0.2]),
    st.integers(min_value=-(10**300), max_value=10**300),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.booleans(),
)


def good_rows(world):
    grant = f"360G-{settings.THREESIXTYGIVING_PREFIX}-{world.grant.pk}"
    return {
        "allocations": (
            AllocationImport(world.users.officer, world.grant),
            "Allocations",
            ["Derbyshire County Council", "2015-16", 250000.25, 1000.5, "Family breakdown unit"],
        ),
        "spend returns": (
            SpendReturnImport(world.users.derbyshire),
            "Spend returns",
            [grant, "Derbyshire County Council", "2015-16", "Q1", 150.5, 800, None],
        ),
        "results": (
            ResultImport(world.users.evaluator, world.evaluation),
            "Results",
            [
                "Social work time in direct work with families",
                None,
                None,
                20,
                dt.datetime(2014, 4, 1),
                dt.datetime(2015, 3, 31),
                40,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,  # the comparison group
            ],
        ),
    }


@pytest.mark.parametrize("kind", ["allocations", "spend returns", "results"])
def test_any_value_in_any_cell_is_taken_or_named_as_a_problem_never_an_error(world, kind):
    importer, sheet_name, good = good_rows(world)[kind]
    blank = workbook_bytes(template(importer))

    positions = st.integers(min_value=0, max_value=len(good) - 1)

    @PROPERTY
    @given(changes=st.dictionaries(positions, any_value, min_size=1, max_size=3))
    def check(changes):
        book = openpyxl.load_workbook(io.BytesIO(blank))
        sheet = book[sheet_name]
        sheet.delete_rows(2, sheet.max_row)
        row = list(good)
        for position, value in changes.items():
            row[position] = value
        sheet.append(row)
        try:
            outcome = services.run(importer, upload(workbook_bytes(book)), commit=False)
        except Refused as refusal:  # the whole file refused: every reason is said
            assert refusal.problems and all(problem.message.strip() for problem in refusal.problems)
            return
        for problem in outcome.problems:
            assert problem.message.strip() and problem.sheet == sheet_name, problem
            assert "Traceback" not in problem.message and "InvalidOperation" not in problem.message

    check()
