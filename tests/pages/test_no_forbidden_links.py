"""No page offers a council or an evaluator a link it may not follow (issue 20: an evaluator following a
grant link from a project page got 403). Each persona's pages are walked from its start page, link by
link, as far as they go; every link must answer, none with 403 or 404."""

import pytest

from tests.pages.conftest import walk

# Pages that change something on a GET are not links a walk should follow into: signing out is a form.
SKIP = ("/account/sign-out/",)


@pytest.mark.parametrize("persona", ["evaluator", "derbyshire", "harrow", "morninglane"])
def test_every_link_a_council_or_an_evaluator_is_offered_opens(client, world, persona):
    client.force_login(getattr(world.users, persona))
    refused, opened = [], set()
    for page, response in walk(client, "/"):
        if page.startswith(SKIP):
            continue
        if response.status_code in (403, 404):
            refused.append((page, response.status_code))
        opened.add(page)
    assert refused == []
    # The walk reached the project page, where the grant link was offered, not just the start page.
    assert f"/projects/{world.project.pk}/" in opened


def test_an_evaluator_sees_the_grant_but_is_not_offered_its_money_page(client, world):
    grant_page = f'href="/grants/{world.grant.pk}/"'
    client.force_login(world.users.evaluator)
    page = client.get(f"/projects/{world.project.pk}/").content.decode()
    assert world.grant.title in page and grant_page not in page
    assert client.get(f"/grants/{world.grant.pk}/").status_code == 403
    client.force_login(world.users.derbyshire)
    assert grant_page in client.get(f"/projects/{world.project.pk}/").content.decode()
