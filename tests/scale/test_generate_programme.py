"""generate_programme: the same seed gives the same rows, another seed others;
counts scale with N; an existing programme is refused or replaced; users."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from demo.generate import GENERATED_PASSWORD, expected_counts, generate_programme
from grants.models import Allocation, Organisation, Payment, Programme
from projects.models import Milestone
from tests.scale.conftest import canonical_dump

pytestmark = pytest.mark.django_db


def _generate(projects, seed, **options):
    out = io.StringIO()
    call_command("generate_programme", projects=projects, seed=seed, stdout=out, **options)
    return out.getvalue()


def test_the_same_seed_gives_the_same_rows():
    _generate(5, 7)
    first = canonical_dump(Programme.objects.get(code="generated-s7"))
    _generate(5, 7, replace=True)
    again = canonical_dump(Programme.objects.get(code="generated-s7"))
    assert Programme.objects.filter(code="generated-s7").count() == 1
    assert first.keys() == again.keys()
    for table in first:
        assert first[table] == again[table], table
    assert len(first["grants.SpendReturn"]) == 600


def test_another_seed_gives_other_rows_alongside():
    generate_programme(projects=5, seed=7)
    generate_programme(projects=5, seed=8)
    seven = canonical_dump(Programme.objects.get(code="generated-s7"))
    eight = canonical_dump(Programme.objects.get(code="generated-s8"))
    assert len(seven["grants.Allocation"]) == len(eight["grants.Allocation"]) == 150
    assert seven["grants.Allocation"] != eight["grants.Allocation"]
    assert seven["grants.Payment"] != eight["grants.Payment"]


def test_counts_scale_linearly_with_the_number_of_projects():
    for projects, seed in ((5, 21), (20, 22)):
        result = generate_programme(projects=projects, seed=seed)
        expected = expected_counts(projects)
        for name, count in expected.items():
            assert result.counts[name] == count, name
        assert expected["spend returns"] == 120 * projects
        in_programme = {"grant__project__programme": result.programme}
        years = set(Allocation.objects.filter(**in_programme).values_list("financial_year", flat=True))
        assert len(years) == 6
    assert expected_counts(1000) == {
        "projects": 1000,
        "rounds": 10,
        "grants": 3000,
        "allocations": 30000,
        "milestones": 20000,
        "payments": 60000,
        "spend returns": 120000,
        "evaluations": 1000,
        "outcome results": 20000,
    }
    ledger = sum(expected_counts(5000)[name] for name in ("allocations", "payments", "spend returns"))
    assert ledger == 1_050_000


def test_it_loads_the_authorities_when_there_are_none_and_prints_counts_and_time():
    assert not Organisation.objects.filter(kind="local_authority").exists()
    output = _generate(5, 3)
    assert Organisation.objects.filter(kind="local_authority", valid_to__isnull=True).count() == 153
    assert "Generated “Generated programme (illustrative), seed 3” in" in output
    assert "spend returns" in output and "600" in output
    # The councils of the programme come from the authorities loaded.
    recipients = Allocation.objects.filter(grant__project__programme__code="generated-s3").values("recipient")
    assert Organisation.objects.filter(pk__in=recipients, kind="local_authority").count() >= 4


def test_an_existing_programme_is_refused_without_replace():
    _generate(5, 4)
    payments = Payment.objects.count()
    with pytest.raises(CommandError, match="already in the database: run again with --replace"):
        _generate(5, 4)
    assert Payment.objects.count() == payments
    assert Programme.objects.filter(code="generated-s4").count() == 1


def test_replace_deletes_the_earlier_programme_first_and_keeps_other_seeds():
    _generate(5, 4)
    _generate(5, 5)
    other = Milestone.objects.filter(project__programme__code="generated-s5").count()
    output = _generate(20, 4, replace=True)
    assert "deleted rows of the earlier programme" in output
    assert Milestone.objects.filter(project__programme__code="generated-s4").count() == 400
    assert Milestone.objects.filter(project__programme__code="generated-s5").count() == other == 100


def test_bad_arguments_get_a_clear_message():
    with pytest.raises(CommandError, match="--projects must be 1 or more"):
        _generate(0, 1)
    with pytest.raises(CommandError, match="--seed must be a whole number"):
        _generate(5, -1)
    assert not Programme.objects.exists()


def test_generated_users_sign_in_with_the_documented_password_in_development(settings):
    settings.DEVELOPMENT = True
    _generate(5, 6)
    officer = User.objects.get(username="bench-officer")
    assert officer.is_officer and officer.organisation.org_id == "GB-GOR-D6"
    assert officer.check_password(GENERATED_PASSWORD)
    assert User.objects.get(username="bench-finance").is_finance
    council = User.objects.get(username="bench-gb-lae-dby")
    assert council.is_recipient and council.organisation.org_id == "GB-LAE-DBY"
    assert council.check_password(GENERATED_PASSWORD)


def test_without_development_the_users_have_no_usable_password(settings):
    settings.DEVELOPMENT = False
    _generate(5, 6)
    assert not User.objects.get(username="bench-officer").has_usable_password()
    assert not User.objects.get(username="bench-gb-lae-dby").has_usable_password()


def test_a_password_given_is_set_on_the_users_created(settings):
    settings.DEVELOPMENT = False
    _generate(5, 9, password="a-long-bench-password")
    assert User.objects.get(username="bench-viewer").check_password("a-long-bench-password")


def test_existing_users_are_left_as_they_are():
    generate_programme(projects=5, seed=1, password="first-password-123")
    generate_programme(projects=5, seed=2, password="second-password-456")
    assert User.objects.get(username="bench-officer").check_password("first-password-123")
