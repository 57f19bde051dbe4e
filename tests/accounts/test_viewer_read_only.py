from django.urls import reverse

from grants.models import Payment


def test_a_viewer_post_is_refused_whatever_view_it_reaches(client, world):
    client.force_login(world.users.viewer)
    for path in ("/", "/admin/", f"/grants/milestones/{world.derbyshire_milestone.pk}/pay/"):
        assert client.post(path, {"paid_on": "2016-01-15"}).status_code == 403
    assert not Payment.objects.exists()


def test_a_viewer_may_still_sign_out(client, world):
    client.force_login(world.users.viewer)
    assert client.post(reverse("accounts:sign-out")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_officer_post_is_not_stopped_by_the_viewer_rule(client, world):
    client.force_login(world.users.officer)
    assert client.post(reverse("accounts:sign-out")).status_code == 302
