"""Whatever the rows and however the file is damaged, an import never leaves part
of itself behind and never fails with a server error.

Each example goes through the real pages: upload (which checks every row and
the services' rules) and, when a batch is kept, confirm. Afterwards either
nothing changed, or every row of the file is stored exactly as it was written.
"""

import datetime as dt
import io
import zipfile
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from grants.financial_year import FinancialYear
from grants.models import Allocation, SpendReturn
from imports.models import ImportBatch
from imports.spend_returns import SpendReturnImport
from tests.imports.files import fill, snapshot, template, upload, workbook_bytes

pytestmark = pytest.mark.django_db

PROPERTY = hypothesis_settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def grant_ids(world):
    prefix = settings.THREESIXTYGIVING_PREFIX
    return [f"360G-{prefix}-{world.grant.pk}", f"360G-{prefix}-{world.other_grant.pk}"]


text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
money = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=10_000_000, places=2).map(float),
    st.decimals(min_value=-1000, max_value=D("-0.01"), places=2).map(float),  # negative
    st.decimals(min_value=0, max_value=1000, places=3).map(float),  # perhaps too many places
    st.sampled_from(["£1,234.50", "12", "", "=1+1", "n/a"]),
    st.just(dt.datetime(2017, 3, 31)),
    st.booleans(),
)


def rows(world):
    good_money = st.decimals(min_value=0, max_value=10_000_000, places=2).map(float)
    good_row = st.tuples(
        st.just(grant_ids(world)[0]),
        st.just("Derbyshire County Council"),
        st.sampled_from(["2015-16", "2016-17"]),
        st.sampled_from(["Q1", "Q2", "Q3", "Q4", 1, 2, 3, 4]),
        good_money,
        good_money,
        st.one_of(st.none(), st.text(alphabet="abc XYZ-12", max_size=12)),
    )
    any_row = st.tuples(
        st.sampled_from(grant_ids(world) + ["360G-X-1", ""]),
        st.sampled_from(["Derbyshire County Council", "London Borough of Harrow", "Nowhere Council", ""]),
        st.one_of(st.sampled_from(["2015-16", "2016-17", "2015/16", "31/03/2017"]), st.just(dt.datetime(2016, 3, 31))),
        st.sampled_from(["Q1", "Q2", "Q3", "Q4", 1, 4, "Q5", 0, None]),
        money,
        money,
        st.one_of(st.none(), text, st.just('=HYPERLINK("x")')),
    )
    # Mostly good rows, so that whole files are often written, with bad ones among them.
    return st.lists(st.one_of(good_row, good_row, good_row, any_row), min_size=1, max_size=6)


def expected_returns(book):
    """What the file says each of Derbyshire's quarters should hold, read the way a person reads it."""
    wanted = {}
    for grant, organisation, year, quarter, spent, forecast, comment in book["Spend returns"].iter_rows(
        min_row=2, values_only=True
    ):
        if spent is None and forecast is None and (comment is None or not str(comment).strip()):
            continue
        number = int(str(quarter).removeprefix("Q"))
        wanted[(year, number)] = (
            D(str(spent)).quantize(D("0.01")),
            D(str(forecast)).quantize(D("0.01")),
            (comment or "").strip(),
        )
    return wanted


def stored_returns(world):
    """Derbyshire's returns by financial year and quarter."""
    return {
        (str(r.allocation.financial_year), r.quarter): (r.spent, r.forecast, r.comment)
        for r in SpendReturn.objects.filter(allocation__recipient=world.derbyshire).select_related("allocation")
    }


def upload_and_confirm(client, content):
    """Upload, and confirm if the upload was accepted; True when the import was written. A refusal at either
    step is a 400 that names at least one problem; an accepted step redirects."""
    response = client.post(reverse("imports:spend-returns-upload"), {"file": upload(content)})
    if response.status_code == 400:
        assert response.context["problems"] or response.context["form"].errors
        return False
    assert response.status_code == 302, response.status_code
    batch = ImportBatch.objects.latest("pk")
    confirmed = client.post(reverse("imports:batch-confirm", kwargs={"token": batch.token}))
    batch.refresh_from_db()
    assert confirmed.status_code == (302 if batch.status == "applied" else 400), (confirmed.status_code, batch.status)
    return batch.status == "applied"


@pytest.fixture
def derbyshire(client, world):
    client.force_login(world.users.derbyshire)
    # A second allocation, so that a file can name a year the first does not have.
    Allocation.objects.create(
        grant=world.grant, recipient=world.derbyshire, financial_year=FinancialYear(2016), resource=D("1000.00")
    )
    return world


def test_random_rows_are_imported_whole_or_not_at_all(client, derbyshire):
    world = derbyshire
    seen = {"written": 0, "refused": 0}

    @PROPERTY
    @given(data=rows(world))
    def check(data):
        book = fill(template(SpendReturnImport(world.users.derbyshire)), "Spend returns", data)
        content = workbook_bytes(book)
        before_all, before_returns = snapshot(), stored_returns(world)
        written = upload_and_confirm(client, content)
        seen["written" if written else "refused"] += 1
        if not written:
            assert snapshot()[:2] == before_all[:2]
            return
        # Written: every row of the file is there, exactly; nothing else changed.
        after = stored_returns(world)
        wanted = expected_returns(openpyxl_load(content))
        for key, values in wanted.items():
            assert after[key] == values
        for key in set(before_returns) - set(wanted):
            assert after[key] == before_returns[key]
        assert snapshot()[0] == before_all[0], "no allocation changes"

    check()
    assert seen["written"] >= 3 and seen["refused"] >= 3, seen


def openpyxl_load(content):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(content))


def corrupt(content: bytes, how: str, position: float, noise: bytes) -> bytes:
    at = int(position * len(content))
    if how == "truncate":
        return content[:at]
    if how == "overwrite":
        return content[:at] + noise + content[at + len(noise) :]
    if how == "insert":
        return content[:at] + noise + content[at:]
    # Damage one XML part but keep the zip itself sound, so the damage reaches openpyxl.
    source = zipfile.ZipFile(io.BytesIO(content))
    names = sorted(source.namelist())
    victim = names[int(position * len(names)) % len(names)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            data = source.read(name)
            if name == victim:
                cut = int(position * len(data))
                data = data[:cut] + noise + data[cut + len(noise) :]
            target.writestr(name, data)
    return buffer.getvalue()


def test_random_damage_to_a_good_file_never_leaves_half_an_import_or_a_server_error(client, derbyshire):
    world = derbyshire
    book = fill(
        template(SpendReturnImport(world.users.derbyshire)),
        "Spend returns",
        [
            (grant_ids(world)[0], "Derbyshire County Council", "2015-16", "Q1", 100.5, 200, "First"),
            (grant_ids(world)[0], "Derbyshire County Council", "2015-16", "Q2", 300, 400.25, None),
            (grant_ids(world)[0], "Derbyshire County Council", "2016-17", "Q1", 5, 6, None),
        ],
    )
    good = workbook_bytes(book)
    seen = {"written": 0, "refused": 0}
    full = {
        ("2015-16", 1): (D("100.50"), D("200.00"), "First"),
        ("2015-16", 2): (D("300.00"), D("400.25"), ""),
        ("2016-17", 1): (D("5.00"), D("6.00"), ""),
    }

    @PROPERTY
    @given(
        how=st.sampled_from(["truncate", "overwrite", "insert", "part"]),
        position=st.floats(min_value=0, max_value=1),
        noise=st.binary(min_size=1, max_size=40),
    )
    def check(how, position, noise):
        SpendReturn.objects.all().delete()  # a test's own setup: each example starts with no returns
        before = snapshot()
        written = upload_and_confirm(client, corrupt(good, how, position, noise))
        seen["written" if written else "refused"] += 1
        if written:
            # Damage that left the content readable (a byte in a timestamp, say): then all rows, exactly.
            assert stored_returns(world) == full
        else:
            assert snapshot()[:2] == before[:2]

    check()
    assert seen["refused"] >= 10, seen
