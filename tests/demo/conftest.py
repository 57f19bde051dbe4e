import pytest

from tests.conftest import demo_loaded


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    """One load of the demo for the package, rolled back afterwards; the tests only read."""
    with demo_loaded(django_db_blocker):
        yield
