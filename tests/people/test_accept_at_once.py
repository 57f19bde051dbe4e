"""One invitation link submitted from two tabs at the same moment makes one account: the invitation
is claimed by compare-and-set in the transaction that makes the user. PostgreSQL only (SQLite
serialises writers, so there is no race to lose)."""

import threading

import pytest
from django.db import connection

from accounts.models import Role, User
from people.models import Invitation
from people.services import InvitationClosed, accept_invitation


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_tabs_accepting_one_invitation_make_one_account():
    officer = User.objects.create_user("officer", "officer@example.gov.uk", "a-long-test-password-1", role=Role.OFFICER)
    _, token = Invitation.new(email="twice@example.gov.uk", role=Role.VIEWER, organisation=None, invited_by=officer)
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(username):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            accept_invitation(
                token=token, username=username, password="correct-horse-battery-9", first_name="T", last_name="W"
            )
            outcomes.append("joined")
        except InvitationClosed as closed:
            outcomes.append(closed.state)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("tab.one", "tab.two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["joined", "used"]
    assert User.objects.filter(email="twice@example.gov.uk").count() == 1
