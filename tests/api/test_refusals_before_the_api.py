"""What Django itself refuses before an API operation runs (a NUL character, an address that matches
nothing) still answers the API's client with the API's one shape, an RFC 9457 problem; the pages keep
their GOV.UK error pages."""

import pytest

from projects.models import MilestoneSubmission


@pytest.mark.parametrize(
    "path",
    ["/api/v1/projects?cursor=%00", "/api/v1/payments?kind=%00x", "/api/v1/no-such-thing", "/api/v2/projects"],
)
def test_a_refusal_under_the_api_is_a_problem(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code
    assert body["detail"]
    if response.status_code == 400:
        assert body["detail"] == (
            "The request was refused: a NUL character is not allowed in the address, query or form fields."
        )


def test_a_nul_in_a_form_field_of_a_write_is_a_problem_and_writes_nothing(client, world):
    response = client.post(f"/api/v1/milestones/{world.derbyshire_milestone.pk}/submissions", {"narrative": "a\x00b"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not MilestoneSubmission.objects.exists()


def test_the_pages_keep_their_own_error_pages(client, world):
    client.force_login(world.users.officer)
    for path, status in (("/projects/?q=%00", 400), ("/no-such-page/", 404)):
        response = client.get(path)
        assert response.status_code == status
        assert response["Content-Type"].startswith("text/html")
        assert "govuk-template" in response.content.decode()
