import pytest


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: takes more than about 20 seconds (run with -m slow, skip with -m 'not slow')"
    )
