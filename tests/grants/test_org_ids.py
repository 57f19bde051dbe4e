"""An organisation's identifier is a number on its register, in that register's pattern, or one the
publisher makes under its own 360Giving prefix: never a number that only looks registered."""

import pytest
from django.core.exceptions import ValidationError

from grants.org_ids import internal_id, is_registered, validate_org_id
from tests.factories import OrganisationFactory


@pytest.mark.parametrize(
    "org_id",
    ["GB-LAE-DBY", "GB-GOR-D6", "GB-CHC-1015665", "GB-CHC-280852", "GB-COH-02702928", "GB-COH-SC123456",
     "GB-UKPRN-10007148", "GB-SC-SC039338", "GB-NHS-RRK", "360G-MIG-org-morning-lane-associates"],
)  # fmt: skip
def test_a_number_in_its_registers_pattern_is_taken(org_id):
    validate_org_id(org_id)


@pytest.mark.parametrize(
    "org_id, said",
    [
        ("GB-COH-2702928", "a company number of eight characters"),  # the leading zero dropped
        ("GB-CHC-12345678", "a charity number of six or seven digits"),
        ("GB-UKPRN-20099999", "beginning 1"),
        ("GB-LAE-dby", "local authority code"),
        ("XI-GENERATED-charity00001", "a register this service knows"),
        ("GB-XYZ-123", "a register this service knows"),
        ("360G-MIG-Morning Lane", "a register this service knows"),
    ],
)
def test_a_number_out_of_its_registers_pattern_is_refused_with_what_it_takes(org_id, said):
    with pytest.raises(ValidationError) as refused:
        validate_org_id(org_id)
    assert said in " ".join(refused.value.messages)


def test_an_organisation_with_no_known_number_takes_one_under_the_publishers_prefix(settings):
    settings.THREESIXTYGIVING_PREFIX = "DfE"
    org_id = internal_id("Slough Children's Services Trust")
    assert org_id == "360G-DfE-org-slough-childrens-services-trust"
    validate_org_id(org_id)
    assert not is_registered(org_id) and is_registered("GB-CHC-1015665")


@pytest.mark.django_db
def test_full_clean_refuses_an_identifier_off_its_register():
    organisation = OrganisationFactory.build(org_id="GB-CHC-9990001x")
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert "org_id" in refused.value.message_dict
