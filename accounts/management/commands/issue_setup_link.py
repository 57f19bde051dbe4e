from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts.models import User, normalise_login
from accounts.services import issue_enrolment_link


class Command(BaseCommand):
    help = (
        "Print a single-use two-factor set-up link for a member of staff who cannot get it by email "
        "(the first administrator of a new service, say). Give it to them in person."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--site",
            default="http://127.0.0.1:8000",
            help="The service's address, that the link starts with (default %(default)s)",
        )

    def handle(self, *args, username, site, **options):
        user = User.objects.filter(username=normalise_login(username)).first()
        if user is None:
            raise CommandError(f"No user is called {username}")
        if user.has_two_factor:
            raise CommandError(
                f"{user.username} has two-factor sign-in already; delete their device in the admin first"
            )
        token = issue_enrolment_link(user=user)
        self.stdout.write(site.rstrip("/") + reverse("accounts:two-factor-link", kwargs={"token": token}))
