"""manage.py export_360giving --output FILE --page-url URL: JSON or Excel by the extension,
checked against the schema first, and nothing written when anything is wrong."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from grants.models import Grant, Source
from publish.management.commands import export_360giving
from tests.publish.conftest import parse, schema_errors

PAGE = "https://grants.example.gov.uk/publish/"


def export(path, *page):
    out = io.StringIO()
    call_command("export_360giving", "--output", str(path), *(page or ("--page-url", PAGE)), stdout=out)
    return out.getvalue()


def test_writes_a_valid_json_package(world, tmp_path):
    target = tmp_path / "grants.json"
    assert export(target) == f"Wrote 2 grants to {target} (JSON).\n"
    data = parse(target.read_bytes())
    assert schema_errors(data) == []
    assert [record["id"] for record in data["grants"]] == [
        world.grant.threesixtygiving_id,
        world.other_grant.threesixtygiving_id,
    ]
    assert "downloadURL" not in data  # no request, so no address to give
    assert data["accessURL"] == PAGE
    assert [record["dataSource"] for record in data["grants"]] == [PAGE, PAGE]
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_a_grant_without_a_source_needs_the_page_url_and_nothing_is_written(world, tmp_path):
    target = tmp_path / "grants.json"
    with pytest.raises(CommandError, match=r"no source of their own \(2\).*--page-url"):
        export(target, "--page-url", "")
    with pytest.raises(CommandError, match="must be a full address"):
        export(target, "--page-url", "grants.example.gov.uk/publish/")
    assert list(tmp_path.iterdir()) == []
    # With every grant's own source known, the page is not needed.
    source = Source.objects.create(title="Innovation Programme grants", url="https://www.gov.uk/grants-list")
    Grant.objects.update(source=source)
    assert "Wrote 2 grants" in export(target, "--page-url", "")
    data = parse(target.read_bytes())
    assert {record["dataSource"] for record in data["grants"]} == {"https://www.gov.uk/grants-list"}
    assert "accessURL" not in data
    assert schema_errors(data) == []


def test_writes_the_spreadsheet(world, tmp_path):
    target = tmp_path / "GRANTS.XLSX"
    assert "Wrote 2 grants" in export(target)
    sheet = load_workbook(target)["grants"]
    assert sheet.max_row == 3
    assert [sheet["A2"].value, sheet["A3"].value] == [
        world.grant.threesixtygiving_id,
        world.other_grant.threesixtygiving_id,
    ]


@pytest.mark.parametrize("name", ["grants.csv", "grants", "grants.json.txt", "grants.xls"])
def test_refuses_any_other_extension(world, tmp_path, name):
    with pytest.raises(CommandError, match=r"must end in \.json \(data package\) or \.xlsx \(spreadsheet\)"):
        export(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_missing_folder(world, tmp_path):
    with pytest.raises(CommandError, match="there is no folder"):
        export(tmp_path / "missing" / "grants.json")


def test_refuses_when_nothing_is_published(world, tmp_path):
    Grant.objects.update(publishable=False)
    with pytest.raises(CommandError, match="No grants are published"):
        export(tmp_path / "grants.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["grants.json", "grants.xlsx"])
def test_an_invalid_publication_is_never_written_and_an_old_file_is_kept(world, tmp_path, monkeypatch, name):
    target = tmp_path / name
    target.write_bytes(b"yesterday's file")
    real_package = export_360giving.package

    def broken(*args, **kwargs):
        data = real_package(*args, **kwargs)
        data["grants"][1]["amountAwarded"] = "500000.00"  # a string where the standard wants a number
        return data

    monkeypatch.setattr(export_360giving, "package", broken)
    message = r"does not validate.*\ngrants/1/amountAwarded: '500000.00' is not of type 'number'"
    with pytest.raises(CommandError, match=message):
        export(target)
    assert target.read_bytes() == b"yesterday's file"
    assert list(tmp_path.iterdir()) == [target]
