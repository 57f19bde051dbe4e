"""What the object-storage tests share: the default storage a fresh process makes from an
environment, and a look at a bucket from outside the service (boto3, or no credentials at all)."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent.parent
REGION = "eu-west-2"
EVERYONE = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
_SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps(s.STORAGES['default']))"
)


def settings_process(**env) -> subprocess.CompletedProcess:
    """Start-up of a fresh process with only ``env`` set (and the development flag unless
    ``env`` says otherwise), printing its default storage as JSON. Settings are read once
    per process, so each case needs its own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "AWS_"))}
    clean.update({"DJANGO_DEVELOPMENT": "1", **env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    return subprocess.run(
        [sys.executable, "-c", _SHOW], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def default_storage_of(**env) -> dict:
    made = settings_process(**env)
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


class Bucket:
    """A bucket as its owner (with keys, through boto3) and a stranger (a bare GET) see it."""

    def __init__(self, client, name: str, endpoint: str):
        self.client, self.name, self.endpoint = client, name, endpoint

    def keys(self) -> list[str]:
        return sorted(item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def write(self, key: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=content)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def grants_to_everyone(self, key: str) -> list[dict]:
        grants = self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]
        return [grant for grant in grants if grant["Grantee"].get("URI") in EVERYONE]

    def status_without_credentials(self, key: str) -> int:
        """The status of a plain, unsigned GET of the object's address, as anyone could send."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/{self.name}/{quote(key)}", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
