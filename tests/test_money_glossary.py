"""The money glossary: one definition per figure, on a page open to all, linked from each label."""

import re

from django.urls import reverse

from grants.money import GLOSSARY


def test_the_glossary_defines_every_money_term_once(client):
    page = client.get(reverse("money-glossary")).content.decode()
    keys = [key for key, _, _ in GLOSSARY]
    assert len(keys) == len(set(keys))
    for key, term, definition in GLOSSARY:
        assert f'id="{key}"' in page
        assert term in page
    for term in (
        "Awarded",
        "Allocated",
        "Committed",
        "Paid",
        "Recovered",
        "Net paid",
        "Headroom",
        "Spent",
        "Forecast",
        "Variance",
        "Underspend",
        "Overspend",
    ):
        assert f">{term}</dt>" in page


def test_each_figure_on_the_allocation_page_links_to_its_definition(client, world):
    client.force_login(world.users.officer)
    allocation = world.allocations["GB-LAE-DBY"]
    page = client.get(reverse("grants:allocation", kwargs={"allocation_pk": allocation.pk})).content.decode()
    glossary = reverse("money-glossary")
    linked = set(re.findall(rf'href="{glossary}#([a-z-]+)"', page))
    assert {"net-paid", "committed", "headroom", "spent", "forecast", "variance"} <= linked
    for key in linked:
        assert key in {key for key, _, _ in GLOSSARY}
