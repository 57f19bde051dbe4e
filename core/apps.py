from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: GOV.UK forms and fields, the status life, admin bases, paging,
    files, exports and request rules. It imports no app of the service."""

    name = "core"
    verbose_name = "Shared machinery"
