"""The load test: signed-in programme officers browsing the dashboard, the project
list, project pages and the spending report, against `make serve`.

Run by `make loadtest` (bench/loadtest.sh), which starts the server, runs locust
headless for a bounded time and prints requests per second, p50/p95/p99 and errors.
"""

import itertools
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

# Sessions signed in for bench-officer by bench/loadtest.sh, one per simulated user.
SESSIONS = itertools.cycle(Path(os.environ.get("LOADTEST_SESSIONS", "/tmp/loadtest_sessions.txt")).read_text().split())
PROJECT_LINK = re.compile(r'href="/projects/(\d+)/"')


class Officer(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.cookies.set("sessionid", next(SESSIONS))
        listing = self.client.get("/projects/", name="project list")
        if "/account/sign-in/" in listing.url:
            raise RuntimeError("The session is not signed in")
        self.projects = PROJECT_LINK.findall(listing.text) or ["1"]

    @task(3)
    def dashboard(self):
        self.client.get("/projects/dashboard/", name="dashboard")

    @task(3)
    def project_list(self):
        page = random.randint(1, 20)
        self.client.get(f"/projects/?page={page}", name="project list (page n)")

    @task(6)
    def project_page(self):
        self.client.get(f"/projects/{random.choice(self.projects)}/", name="project page")

    @task(2)
    def spending_report(self):
        group = random.choice(["project", "organisation", "financial_year", "quarter", "round"])
        self.client.get(f"/reports/spending/?group={group}", name="spending report")
