import csv
import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from grants.authorities import DEFAULT_PATH, AuthorityFileError, load_authorities
from grants.models import Organisation

COLUMNS = [
    "gb_lae_code",
    "official_name",
    "short_name",
    "gss_code",
    "authority_type",
    "dfe_la_number",
    "start_date",
    "end_date",
    "replaced_by",
]


def shipped_rows():
    with DEFAULT_PATH.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def write_csv(path, rows, columns=COLUMNS, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def row_of(rows, code):
    return next(row for row in rows if row["gb_lae_code"] == code)


def authority(code):
    return Organisation.objects.get(org_id=f"GB-LAE-{code}")


def successors(code):
    return {o.name for o in authority(code).replaced_by.all()}


def snapshot():
    links = Organisation.replaced_by.through.objects.values_list("from_organisation_id", "to_organisation_id")
    return list(Organisation.objects.order_by("org_id").values()), sorted(links)


@pytest.mark.django_db
def test_the_shipped_file_gives_153_current_authorities_and_those_that_ended():
    ended_in_file = sum(1 for row in shipped_rows() if row["end_date"])
    assert ended_in_file == 8

    summary = load_authorities()

    assert Organisation.objects.filter(kind="local_authority", valid_to__isnull=True).count() == 153
    assert Organisation.objects.filter(kind="local_authority", valid_to__isnull=False).count() == ended_in_file
    assert (summary.current, summary.ended) == (153, ended_in_file)
    assert (summary.created, summary.updated, summary.unchanged) == (153 + ended_in_file, 0, 0)


@pytest.mark.django_db
def test_derbyshire_carries_its_org_id_gss_code_type_and_dfe_number():
    load_authorities()

    derbyshire = Organisation.objects.get(org_id="GB-LAE-DBY")
    assert derbyshire.name == "Derbyshire County Council"
    assert derbyshire.short_name == "Derbyshire"
    assert derbyshire.kind == Organisation.Kind.LOCAL_AUTHORITY
    assert derbyshire.gss_code == "E10000007"
    assert derbyshire.authority_type == Organisation.AuthorityType.COUNTY
    assert derbyshire.dfe_la_number == 830
    assert derbyshire.valid_to is None


@pytest.mark.django_db
def test_a_blank_dfe_number_and_blank_dates_are_stored_as_none():
    load_authorities()

    bcp = authority("BPC")
    assert bcp.dfe_la_number is None
    assert bcp.valid_from == dt.date(2019, 4, 1)
    assert authority("DBY").valid_from is None


@pytest.mark.django_db
def test_buckinghamshire_county_council_is_replaced_by_buckinghamshire_council():
    load_authorities()

    assert successors("BKM") == {"Buckinghamshire Council"}
    assert authority("BKM").valid_to == dt.date(2020, 3, 31)
    assert {o.name for o in authority("BUC").predecessors.all()} == {"Buckinghamshire County Council"}


@pytest.mark.django_db
def test_northamptonshire_is_replaced_by_north_and_west_northamptonshire():
    load_authorities()

    assert successors("NTH") == {"North Northamptonshire Council", "West Northamptonshire Council"}
    # The file's date, kept as given (mySociety puts the successors' first day here).
    assert authority("NTH").valid_to == dt.date(2021, 4, 1)


@pytest.mark.django_db
def test_loading_the_same_file_again_changes_nothing():
    load_authorities()
    before = snapshot()

    summary = load_authorities()

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 161)
    assert summary.changes == []
    assert snapshot() == before


@pytest.mark.django_db
def test_a_newer_edition_updates_existing_authorities_and_adds_new_ones(tmp_path):
    load_authorities()
    rows = shipped_rows()
    row_of(rows, "WIL").update(official_name="Wiltshire Unitary Council", short_name="Wilts")
    row_of(rows, "BPC")["dfe_la_number"] = "839"
    row_of(rows, "RUT").update(end_date="2027-03-31", replaced_by="XRL")
    rows.append(
        {
            "gb_lae_code": "XRL",
            "official_name": "Rutland and Leicestershire Council",
            "short_name": "Rutland and Leicestershire",
            "gss_code": "E06000099",
            "authority_type": "UA",
            "dfe_la_number": "",
            "start_date": "2027-04-01",
            "end_date": "",
            "replaced_by": "",
        }
    )
    row_of(rows, "NTH")["replaced_by"] = "NNT"

    summary = load_authorities(write_csv(tmp_path / "newer.csv", rows))

    assert (summary.created, summary.updated, summary.unchanged) == (1, 4, 157)
    assert (summary.current, summary.ended) == (153, 9)
    assert authority("WIL").name == "Wiltshire Unitary Council"
    assert authority("WIL").short_name == "Wilts"
    assert authority("BPC").dfe_la_number == 839
    assert authority("RUT").valid_to == dt.date(2027, 3, 31)
    assert successors("RUT") == {"Rutland and Leicestershire Council"}
    assert authority("XRL").valid_from == dt.date(2027, 4, 1)
    assert successors("NTH") == {"North Northamptonshire Council"}
    assert summary.changes == [
        "Updated GB-LAE-BPC Bournemouth, Christchurch and Poole Council: DfE LA number (none) -> 839",
        "Updated GB-LAE-NTH Northamptonshire County Council: replaced by NNT, WNT -> NNT",
        "Updated GB-LAE-RUT Rutland County Council: valid to (none) -> 2027-03-31; replaced by (none) -> XRL",
        'Updated GB-LAE-WIL Wiltshire Unitary Council: name "Wiltshire Council" -> "Wiltshire Unitary Council"; '
        'short name "Wiltshire" -> "Wilts"',
        "Created GB-LAE-XRL Rutland and Leicestershire Council",
    ]


@pytest.mark.django_db
def test_an_authority_missing_from_a_newer_edition_is_kept_and_named(tmp_path):
    load_authorities()
    rows = [row for row in shipped_rows() if row["gb_lae_code"] != "HRW"]

    summary = load_authorities(write_csv(tmp_path / "newer.csv", rows))

    assert authority("HRW").name == "London Borough of Harrow"
    assert Organisation.objects.count() == 161
    assert summary.not_in_file == 1
    assert summary.changes == ["Not in the file, left as it is: GB-LAE-HRW London Borough of Harrow"]
    assert str(summary).endswith("0 created, 0 updated, 160 unchanged, 1 not in the file")


@pytest.mark.django_db
def test_a_successor_already_in_the_database_need_not_be_in_the_file(tmp_path):
    load_authorities()
    rows = [row for row in shipped_rows() if row["gb_lae_code"] != "BUC"]

    summary = load_authorities(write_csv(tmp_path / "newer.csv", rows))

    assert successors("BKM") == {"Buckinghamshire Council"}
    assert summary.changes == ["Not in the file, left as it is: GB-LAE-BUC Buckinghamshire Council"]


@pytest.mark.django_db
def test_a_file_with_a_byte_order_mark_loads(tmp_path):
    path = write_csv(tmp_path / "excel.csv", shipped_rows(), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    summary = load_authorities(path)

    assert summary.created == 161
    assert authority("BNS").name == "Barnsley Metropolitan Borough Council"


def rename_first_row(rows):
    rows[0]["official_name"] = "Renamed Before The Bad Row"


def edit_late_row(column, value):
    # The bad row comes after rows that would change, so a partial write would show.
    def edit(rows):
        rename_first_row(rows)
        row_of(rows, "WOR")[column] = value

    return edit


def add_row_clashing_with_an_organisation_outside_the_file(rows):
    rename_first_row(rows)
    Organisation.objects.create(
        name="Old Authority", kind="local_authority", org_id="GB-LAE-XOLD", gss_code="E06000099", authority_type="UA"
    )
    rows.append({**row_of(rows, "WOR"), "gb_lae_code": "XNEW", "official_name": "New Council", "gss_code": "E06000099"})


def repeat_derbyshire(rows):
    rename_first_row(rows)
    rows.append(dict(row_of(rows, "DBY")))


WORCESTERSHIRE_ROW = next(number for number, row in enumerate(shipped_rows(), start=2) if row["gb_lae_code"] == "WOR")
LAST_ROW = len(shipped_rows()) + 2


@pytest.mark.parametrize(
    "columns, edit, message",
    [
        (COLUMNS[:-1], rename_first_row, "Row 1: The header has missing column(s) replaced_by."),
        ([*COLUMNS, "region"], rename_first_row, "Row 1: The header has unexpected column(s) region."),
        (COLUMNS, edit_late_row("gss_code", "E1000034"), f"Row {WORCESTERSHIRE_ROW}, column gss_code: "),
        (COLUMNS, edit_late_row("authority_type", "SHIRE"), f"Row {WORCESTERSHIRE_ROW}, column authority_type: "),
        (COLUMNS, edit_late_row("replaced_by", "DBY,ZZZ"), f"Row {WORCESTERSHIRE_ROW}, column replaced_by: "),
        (COLUMNS, edit_late_row("end_date", "31/03/2025"), f"Row {WORCESTERSHIRE_ROW}, column end_date: "),
        (COLUMNS, edit_late_row("start_date", "1974-02-30"), f"Row {WORCESTERSHIRE_ROW}, column start_date: "),
        (COLUMNS, edit_late_row("dfe_la_number", "88S"), f"Row {WORCESTERSHIRE_ROW}, column dfe_la_number: "),
        (
            COLUMNS,
            edit_late_row("short_name", "W" * 101),
            f"Row {WORCESTERSHIRE_ROW}: GB-LAE-WOR cannot be saved: short_name: Ensure this value has at most 100",
        ),
        (COLUMNS, repeat_derbyshire, f"Row {LAST_ROW}, column gb_lae_code: GB-LAE-DBY is already on row "),
        (
            COLUMNS,
            add_row_clashing_with_an_organisation_outside_the_file,
            f"Row {LAST_ROW}, column gss_code: E06000099 is already the GSS code of GB-LAE-XOLD Old Authority",
        ),
    ],
    ids=[
        "missing column",
        "extra column",
        "bad GSS code",
        "unknown authority type",
        "unknown successor",
        "malformed end date",
        "impossible start date",
        "bad DfE number",
        "short name too long for the model",
        "repeated authority",
        "GSS code held by another organisation",
    ],
)
@pytest.mark.django_db
def test_a_bad_file_raises_naming_the_row_and_column_and_writes_nothing(tmp_path, columns, edit, message):
    load_authorities()
    rows = shipped_rows()
    edit(rows)
    if columns != COLUMNS:
        rows = [{column: row.get(column, "") for column in columns} for row in rows]
    path = write_csv(tmp_path / "bad.csv", rows, columns)
    before = snapshot()

    with pytest.raises(AuthorityFileError) as raised:
        load_authorities(path)

    assert str(raised.value).startswith(message)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_bad_file_writes_nothing_into_an_empty_database(tmp_path):
    rows = shipped_rows()
    row_of(rows, "WOR")["gss_code"] = "X10000034"

    with pytest.raises(AuthorityFileError):
        load_authorities(write_csv(tmp_path / "bad.csv", rows))

    assert Organisation.objects.count() == 0


@pytest.mark.django_db
def test_the_command_prints_each_change_and_a_one_line_summary(tmp_path):
    out = StringIO()
    call_command("load_authorities", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == "153 current authorities, 8 ended: 161 created, 0 updated, 0 unchanged"
    assert "Created GB-LAE-DBY Derbyshire County Council" in lines
    assert len(lines) == 162

    rows = shipped_rows()
    row_of(rows, "DBY")["short_name"] = "Derbys"
    out = StringIO()
    call_command("load_authorities", file=str(write_csv(tmp_path / "newer.csv", rows)), stdout=out)
    assert out.getvalue().splitlines() == [
        'Updated GB-LAE-DBY Derbyshire County Council: short name "Derbyshire" -> "Derbys"',
        "153 current authorities, 8 ended: 0 created, 1 updated, 160 unchanged",
    ]


@pytest.mark.django_db
def test_the_command_is_quiet_at_verbosity_0():
    out = StringIO()
    call_command("load_authorities", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert Organisation.objects.count() == 161


@pytest.mark.django_db
def test_the_command_reports_a_bad_file_as_a_command_error(tmp_path):
    rows = shipped_rows()
    row_of(rows, "WOR")["authority_type"] = "SHIRE"
    path = write_csv(tmp_path / "bad.csv", rows)

    with pytest.raises(CommandError, match=rf"Row {WORCESTERSHIRE_ROW}, column authority_type: 'SHIRE'"):
        call_command("load_authorities", "--file", str(path), verbosity=0)
    assert Organisation.objects.count() == 0
