"""The load test: signed-in users of each role browsing as they would, against `make serve`.

Of every five simulated users, two are programme officers (the dashboard, the project list,
project pages, the money pages and reports), two are council staff (their projects, their
grants, the spend return upload, their ledger) and one is an evaluator (their evaluations and
results). Officers are few in a programme but use the service all day; council staff are many
but come for their returns; evaluators come least.

Run by `make loadtest` (bench/loadtest.sh), which starts the server, signs in one session per
simulated user, runs locust headless for a bounded time and prints requests per second,
p50/p95/p99 and errors.
"""

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

# Sessions signed in by bench/loadtest.sh: for each role, one per simulated user.
_SESSIONS = json.loads(Path(os.environ.get("LOADTEST_SESSIONS", "/tmp/loadtest_sessions.json")).read_text())
SESSIONS = {role: itertools.cycle(keys) for role, keys in _SESSIONS.items()}
PROJECT_LINK = re.compile(r'href="/projects/(\d+)/"')
EVALUATION_LINK = re.compile(r'href="/evaluations/(\d+)/"')
GRANT_LINK = re.compile(r'href="/grants/(\d+)/"')


class SignedIn(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 1.5)

    def sign_in(self, first_page: str, link):
        self.client.cookies.set("sessionid", next(SESSIONS[self.role]))
        page = self.client.get(first_page, name=f"{self.role}: {first_page}")
        if "/account/sign-in/" in page.url:
            raise RuntimeError(f"The {self.role}'s session is not signed in")
        return link.findall(page.text)


class Officer(SignedIn):
    role = "officer"
    weight = 2

    def on_start(self):
        self.projects = self.sign_in("/projects/", PROJECT_LINK) or ["1"]

    @task(3)
    def dashboard(self):
        self.client.get("/projects/dashboard/", name="officer: dashboard")

    @task(3)
    def project_list(self):
        self.client.get(f"/projects/?page={random.randint(1, 20)}", name="officer: project list (page n)")

    @task(6)
    def project_page(self):
        self.client.get(f"/projects/{random.choice(self.projects)}/", name="officer: project page")

    @task(1)
    def payments_waiting(self):
        self.client.get("/grants/payments/waiting/", name="officer: payments waiting")

    @task(2)
    def spending_report(self):
        group = random.choice(["project", "organisation", "financial_year", "quarter", "round"])
        self.client.get(f"/reports/spending/?group={group}", name="officer: spending report")

    @task(1)
    def impact_report(self):
        self.client.get("/reports/impact/", name="officer: impact report")

    @task(1)
    def reconciliation(self):
        self.client.get("/grants/reconciliation/", name="officer: reconciliation")


class CouncilStaff(SignedIn):
    role = "council"
    weight = 2

    def on_start(self):
        self.projects = self.sign_in("/projects/yours/", PROJECT_LINK) or ["1"]
        page = self.client.get(f"/projects/{self.projects[0]}/", name="council: project page")
        self.grants = GRANT_LINK.findall(page.text)

    @task(2)
    def your_projects(self):
        self.client.get("/projects/yours/", name="council: your projects")

    @task(4)
    def project_page(self):
        self.client.get(f"/projects/{random.choice(self.projects)}/", name="council: project page")

    @task(2)
    def grant(self):
        if self.grants:
            self.client.get(f"/grants/{random.choice(self.grants)}/", name="council: grant page")

    @task(1)
    def spend_return_upload(self):
        self.client.get("/imports/spend-returns/", name="council: spend return upload")

    @task(1)
    def ledger(self):
        self.client.get("/downloads/ledger/", name="council: ledger page")


class Evaluator(SignedIn):
    role = "evaluator"
    weight = 1

    def on_start(self):
        self.evaluations = self.sign_in("/evaluations/yours/", EVALUATION_LINK) or ["1"]

    @task(2)
    def your_evaluations(self):
        self.client.get("/evaluations/yours/", name="evaluator: your evaluations")

    @task(4)
    def evaluation_page(self):
        self.client.get(f"/evaluations/{random.choice(self.evaluations)}/", name="evaluator: evaluation page")

    @task(1)
    def result_form(self):
        self.client.get(f"/evaluations/{random.choice(self.evaluations)}/results/new/", name="evaluator: result form")
