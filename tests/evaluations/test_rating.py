"""Rating the evidence of an evaluation on a named scale; a new rating on a scale replaces the old.

The rating is given by someone other than the evaluation's own evaluators: a programme officer,
or an evaluator named on it as a reviewer (issue 16). Who rated is kept in its history."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from evaluations.models import EvidenceRating
from evaluations.services import rate_evaluation


def url(evaluation):
    return reverse("evaluations:rating", kwargs={"evaluation_pk": evaluation.pk})


def detail_url(evaluation):
    return reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk})


def snapshot():
    return list(EvidenceRating.objects.order_by("pk").values())


def history():
    return list(EvidenceRating.history.order_by("history_id").values())


def test_the_form_lists_every_value_of_every_scale_as_radios_grouped_by_scale(client, world):
    client.force_login(world.users.officer)
    page = client.get(url(world.evaluation)).content.decode()
    assert 'class="govuk-back-link"' in page
    for scale in EvidenceRating.Scale:
        assert (
            f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{scale.label}</legend>'.replace(
                "'", "&#x27;"
            )
            in page
        )
        for value, label in EvidenceRating.VALUES[scale]:
            assert f'value="{scale.value}:{value}"' in page
            assert label.replace("'", "&#x27;") in page
    assert page.count('name="rating" type="radio"') == 13
    assert 'id="id_rating"' in page and 'id="id_rating-13"' in page
    assert 'for="id_rationale"' in page


@pytest.mark.parametrize("name", ["officer", "admin", "reviewer"])
def test_an_officer_or_a_named_reviewer_rates_the_evidence_and_the_history_names_them(client, world, reviewer, name):
    rater = reviewer if name == "reviewer" else getattr(world.users, name)
    client.force_login(rater)
    assert client.get(url(world.evaluation)).status_code == 200
    response = client.post(url(world.evaluation), {"rating": "maryland_sms:2", "rationale": "  No comparison group.  "})
    assert response.status_code == 302
    assert response["Location"].endswith("#ratings")
    rating = EvidenceRating.objects.get(evaluation=world.evaluation)
    assert (rating.scale, rating.value) == ("maryland_sms", "2")
    assert rating.rationale == "No comparison group."
    assert rating.rated_by == rater
    assert timezone.now() - rating.rated_at < dt.timedelta(minutes=1)
    copy = rating.history.get()
    assert (copy.history_type, copy.value, copy.rated_by, copy.history_user) == ("+", "2", rater, rater)
    page = client.get(response["Location"]).content.decode()
    assert "Rated ‘Level 2: before and after, no comparison group’ on the Maryland Scientific Methods Scale" in page
    # The evaluation's page shows the rating in its changes, with who rated.
    changes = page[page.index('id="evidence-history"') :]
    assert rater.get_full_name() in changes
    assert "Rated on the Maryland Scientific Methods Scale: Level 2: before and after, no comparison group" in changes


def test_the_evaluations_own_evaluator_is_not_offered_the_rating_and_is_refused(client, world):
    EvidenceRating.objects.create(
        evaluation=world.evaluation, scale="maryland_sms", value="2", rationale="Before.", rated_by=world.users.officer
    )
    before, kept = snapshot(), history()
    client.force_login(world.users.evaluator)
    page = client.get(detail_url(world.evaluation)).content.decode()
    assert url(world.evaluation) not in page
    assert "not by its own evaluators" in page
    # Not found, as any object outside what a user may do is: the page and a POST alike.
    assert client.get(url(world.evaluation)).status_code == 404
    response = client.post(url(world.evaluation), {"rating": "maryland_sms:5", "rationale": "Our own work."})
    assert response.status_code == 404
    assert snapshot() == before and history() == kept


def test_the_service_refuses_the_evaluations_own_evaluator_even_if_also_named_reviewer(world):
    with pytest.raises(PermissionDenied, match="not by one of its own evaluators"):
        rate_evaluation(
            evaluation=world.evaluation, by=world.users.evaluator, scale="maryland_sms", value="5", rationale="Ours."
        )
    world.evaluation.reviewers.add(world.users.evaluator)  # e.g. set in the admin
    with pytest.raises(PermissionDenied):
        rate_evaluation(
            evaluation=world.evaluation, by=world.users.evaluator, scale="maryland_sms", value="5", rationale="Ours."
        )
    assert not EvidenceRating.objects.exists()


def test_full_clean_refuses_a_rating_by_one_of_the_evaluations_evaluators(world):
    rating = EvidenceRating(
        evaluation=world.evaluation, scale="maryland_sms", value="5", rationale="Ours.", rated_by=world.users.evaluator
    )
    with pytest.raises(ValidationError, match="Evaluator Tester is one of this evaluation's evaluators"):
        rating.full_clean()
    rating.rated_by = world.users.officer
    rating.full_clean()


def test_a_reviewer_reads_and_rates_but_does_not_change_the_evaluation(client, world, reviewer):
    client.force_login(reviewer)
    yours = client.get(reverse("evaluations:yours"))
    assert yours.context["evaluations"] == [] and yours.context["reviewing"] == [world.evaluation]
    assert "Evaluations you review" in yours.content.decode()
    page = client.get(detail_url(world.evaluation)).content.decode()
    assert url(world.evaluation) in page
    assert "Add a result" not in page and "/edit/" not in page
    for name, kwargs in (
        ("evaluations:result-create", {"evaluation_pk": world.evaluation.pk}),
        ("evaluations:result-edit", {"result_pk": world.result.pk}),
        ("evaluations:report-upload", {"evaluation_pk": world.evaluation.pk}),
        ("evaluations:edit", {"evaluation_pk": world.evaluation.pk}),
        ("imports:results-upload", {"evaluation_pk": world.evaluation.pk}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name
    # Another evaluation it is not named on stays out of sight.
    assert client.get(detail_url(world.other_evaluation)).status_code == 404
    assert client.get(url(world.other_evaluation)).status_code == 404


def test_a_second_rating_on_the_same_scale_replaces_the_first_and_both_stay_in_the_history(client, world, reviewer):
    old = EvidenceRating.objects.create(
        evaluation=world.evaluation,
        scale="maryland_sms",
        value="2",
        rationale="Before and after only.",
        rated_by=world.users.officer,
        rated_at=timezone.make_aware(dt.datetime(2016, 1, 1)),
    )
    client.force_login(reviewer)
    page = client.get(url(world.evaluation)).content.decode()
    assert "Maryland Scientific Methods Scale: Level 2: before and after, no comparison group" in page
    response = client.post(
        url(world.evaluation), {"rating": "maryland_sms:3", "rationale": "Matched comparison authorities."}
    )
    assert response.status_code == 302
    rating = EvidenceRating.objects.get(evaluation=world.evaluation)
    assert rating.pk == old.pk
    assert rating.value == "3"
    assert rating.rationale == "Matched comparison authorities."
    assert rating.rated_by == reviewer
    assert rating.rated_at.year == timezone.now().year
    kept = [(copy.value, copy.rated_by, copy.history_user) for copy in rating.history.order_by("history_id")]
    assert kept == [("2", world.users.officer, world.users.officer), ("3", reviewer, reviewer)]
    assert (
        "Rating on the Maryland Scientific Methods Scale changed from ‘Level 2: before and after, no comparison "
        "group’ to ‘Level 3: before and after with a comparison group’"
    ) in client.get(response["Location"]).content.decode()


def test_ratings_on_different_scales_sit_side_by_side(client, world):
    client.force_login(world.users.officer)
    client.post(url(world.evaluation), {"rating": "maryland_sms:3", "rationale": "Comparison group."})
    client.post(url(world.evaluation), {"rating": "wwcsc_effectiveness:positive", "rationale": "Fewer plans."})
    client.post(url(world.evaluation), {"rating": "wwcsc_strength:moderate", "rationale": "Three authorities."})
    ratings = dict(EvidenceRating.objects.filter(evaluation=world.evaluation).values_list("scale", "value"))
    assert ratings == {"maryland_sms": "3", "wwcsc_effectiveness": "positive", "wwcsc_strength": "moderate"}
    page = client.get(detail_url(world.evaluation)).content.decode()
    assert "Positive effect" in page and "Moderate" in page and "Fewer plans." in page


def test_a_rating_given_by_an_own_evaluator_before_the_rule_is_flagged(client, world):
    EvidenceRating.objects.create(
        evaluation=world.evaluation, scale="maryland_sms", value="4", rationale="Ours.", rated_by=world.users.evaluator
    )
    client.force_login(world.users.officer)
    page = client.get(detail_url(world.evaluation)).content.decode()
    assert "One of its own evaluators" in page
    assert "To be rated again by a programme officer or a reviewer" in page


@pytest.mark.parametrize(
    "post, message",
    [
        ({}, "Choose a rating on one of the scales"),
        ({"rationale": "Because."}, "Choose a rating on one of the scales"),
        ({"rating": "maryland_sms:9", "rationale": "Because."}, "Choose a rating on one of the scales"),
        ({"rating": "maryland_sms:positive", "rationale": "Because."}, "Choose a rating on one of the scales"),
        ({"rating": "made_up:1", "rationale": "Because."}, "Choose a rating on one of the scales"),
        ({"rating": "maryland_sms", "rationale": "Because."}, "Choose a rating on one of the scales"),
        ({"rating": "maryland_sms:3"}, "Explain why the evidence gets this rating"),
        ({"rating": "maryland_sms:3", "rationale": "   "}, "Explain why the evidence gets this rating"),
        ({"rating": "maryland_sms:3", "rationale": "x" * 5001}, "The explanation must be 5,000 characters or fewer"),
    ],
)
def test_bad_input_is_explained_and_nothing_changes(client, world, post, message):
    EvidenceRating.objects.create(evaluation=world.evaluation, scale="maryland_sms", value="2", rationale="Before.")
    before = snapshot()
    client.force_login(world.users.officer)
    response = client.post(url(world.evaluation), post)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert snapshot() == before


def test_the_error_summary_links_to_the_first_radio(client, world):
    client.force_login(world.users.officer)
    page = client.post(url(world.evaluation), {"rationale": "Because."}).content.decode()
    assert 'href="#id_rating"' in page
    assert 'id="id_rating-error"' in page
    assert "govuk-form-group--error" in page


def test_the_chosen_value_is_kept_when_the_form_comes_back(client, world):
    client.force_login(world.users.officer)
    page = client.post(url(world.evaluation), {"rating": "wwcsc_strength:strong"}).content.decode()
    assert 'value="wwcsc_strength:strong" checked' in page


def test_an_evaluator_cannot_rate_an_evaluation_not_assigned_to_them(client, world):
    client.force_login(world.users.evaluator)
    assert client.get(url(world.other_evaluation)).status_code == 404
    response = client.post(url(world.other_evaluation), {"rating": "maryland_sms:5", "rationale": "Random."})
    assert response.status_code == 404
    assert not EvidenceRating.objects.exists()


@pytest.mark.parametrize("name", ["viewer", "finance", "morninglane", "kent", "outsider"])
def test_other_roles_cannot_rate(client, world, name):
    client.force_login(getattr(world.users, name))
    assert client.get(url(world.evaluation)).status_code == 403
    response = client.post(url(world.evaluation), {"rating": "maryland_sms:5", "rationale": "Random."})
    assert response.status_code == 403
    assert not EvidenceRating.objects.exists()
