from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from api.history import name_the_token

        # Every history row written while answering an API request names the token (api/history.py).
        pre_create_historical_record.connect(name_the_token, dispatch_uid="api.history.name_the_token")
