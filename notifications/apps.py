from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Messages"

    def ready(self):
        from notifications import backends

        # A template id for a kind the catalogue does not know is a typing slip: stop at start-up.
        backends.check_template_ids()
