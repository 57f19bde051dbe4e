"""`make serve` as deployed (deploy/serve.py): nginx in front of two gunicorn instances on loopback.

Sixteen slow clients, each sending one header line a second, would hold every thread of both instances
(one worker of eight threads each) if they reached gunicorn. nginx reads each request whole before an
instance sees it, so it holds them instead, and pages still come back in well under a second.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

from tests.accounts.test_lockout import LOCKED_OUT

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SIGN_IN = "/account/sign-in/"
STATIC_FILE = "css/app.css"
INSTANCES = 2
THREADS = 8
SLOW_CLIENTS = INSTANCES * THREADS

pytestmark = [
    pytest.mark.skipif(
        not os.access(NGINX, os.X_OK), reason="nginx is not installed and could not be: `make nginx` installs it"
    ),
    # The instances are other processes: they see only what this test has committed.
    pytest.mark.django_db(transaction=True),
]


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports: nginx's, then one for each instance."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        try:
            with ExitStack() as stack:
                for port in range(first, first + count):
                    stack.enter_context(socket.socket()).bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports on loopback")


def request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    started = time.monotonic()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        client.request(method, path, body=body, headers=headers or {})
        response = client.getresponse()
        content = response.read()
    finally:
        client.close()
    return SimpleNamespace(
        status=response.status, headers=response.headers, content=content, seconds=time.monotonic() - started
    )


def processes_in_group(group: int) -> list[str]:
    """The processes, other than zombies, still in the process group ``group``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (name) state ppid pgrp ...: the name may hold spaces, so split after its closing bracket.
        state, _, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == group and state != "Z":
            found.append(text[: text.rindex(")") + 1])
    return found


def stop(process: subprocess.Popen) -> int:
    """Stop `make serve`'s server as Ctrl-C or a service manager does, and give its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


@pytest.fixture
def database_url(tmp_path):
    """A DATABASE_URL for the instances that names this test's database."""
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(database["USER"]) + (f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else "")
        host = database["HOST"] or "127.0.0.1"
        return f"postgres://{credentials}@{host}:{database['PORT'] or 5432}/{database['NAME']}"
    # SQLite's test database lives in this process's memory: the instances share a copy of it in a file.
    copy = tmp_path / "served.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return f"sqlite:///{copy}"


@pytest.fixture
def served(database_url, tmp_path):
    port = free_ports(1 + INSTANCES)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    # The static files `make setup` collects are development's, without the hashed names that production's
    # settings ask for, so the instances run with the development flag; the layout is production's.
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEVELOPMENT="1", DATABASE_URL=database_url)
    command = [sys.executable, "-m", "deploy.serve", "--port", str(port), "--instances", str(INSTANCES)]
    command += ["--workers", "1", "--threads", str(THREADS), "--run-dir", str(tmp_path / "run")]
    with open(tmp_path / "serve.log", "wb") as log:
        # A session of its own: every process the server starts is in its process group, to be counted.
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = SimpleNamespace(port=port, process=process, run_dir=tmp_path / "run", log=tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the server stopped:\n{server.log.read_text()}"
            assert time.monotonic() < deadline, f"the server did not answer in 60 s:\n{server.log.read_text()}"
            try:
                if request(port, "GET", SIGN_IN).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        # Each instance's worker loads its views and templates on its first page: a second's work, once.
        for _ in range(2 * INSTANCES):
            assert request(port, "GET", SIGN_IN).status == 200
        yield server
    finally:
        stop(process)
        if processes_in_group(process.pid):
            os.killpg(process.pid, signal.SIGKILL)


class SlowClients:
    """Connections that start a request and send one more header line a second, never finishing it."""

    def __init__(self, port: int, count: int):
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        for number, connection_ in enumerate(self.sockets):
            connection_.sendall(f"GET {SIGN_IN}?slow={number} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        self.lines_sent = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def trickle(self):
        while not self.stopping.wait(1):
            for connection_ in self.sockets:
                connection_.sendall(f"X-Still-Typing: {self.lines_sent}\r\n".encode())
            self.lines_sent += 1

    def still_open(self) -> int:
        """How many are still connected with no answer: nginx has neither replied to nor closed them."""
        waiting = 0
        for connection_ in self.sockets:
            connection_.setblocking(False)
            try:
                connection_.recv(1)
            except BlockingIOError:
                waiting += 1
            finally:
                connection_.settimeout(5)
        return waiting

    def close(self):
        self.stopping.set()
        self.thread.join()
        for connection_ in self.sockets:
            connection_.close()


def test_sixteen_slow_clients_leave_pages_fast_through_the_proxy_and_both_instances_serve(served):
    port = served.port
    slow = SlowClients(port, SLOW_CLIENTS)
    try:
        time.sleep(2.5)  # long enough for each slow client to have tied up a gunicorn thread, were it there
        assert slow.lines_sent >= 2

        pages = [request(port, "GET", SIGN_IN) for _ in range(4)]
        assert [page.status for page in pages] == [200] * 4
        assert all(b"Sign in" in page.content for page in pages)
        assert max(page.seconds for page in pages) < 1, [round(page.seconds, 3) for page in pages]

        static = request(port, "GET", f"{settings.STATIC_URL}{STATIC_FILE}")
        assert static.status == 200 and static.seconds < 1
        assert static.content == (Path(settings.STATIC_ROOT) / STATIC_FILE).read_bytes()
        # Sent by nginx, not by the application, which would have added its own headers.
        assert static.headers["Cache-Control"] == "public, max-age=60"
        assert static.headers["Content-Type"] == "text/css; charset=utf-8"
        assert "Content-Security-Policy" not in static.headers

        # Five failed sign-ins, each claiming another address in X-Forwarded-For, lock the name out: the
        # instances count the address nginx saw, not the one a client wrote, and share one count.
        page = request(port, "GET", SIGN_IN)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
        cookie = re.search(r"csrftoken=[^;]+", page.headers["Set-Cookie"]).group(0)
        form = urlencode({"csrfmiddlewaretoken": token, "username": "somebody", "password": "not-the-password"})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        answers = [
            request(port, "POST", SIGN_IN, form, {**headers, "X-Forwarded-For": f"198.51.100.{number}"})
            for number in range(1, 6)
        ]
        assert [answer.status for answer in answers] == [200] * 4 + [429]
        assert LOCKED_OUT in answers[-1].content.decode()

        assert slow.still_open() == SLOW_CLIENTS
    finally:
        slow.close()

    assert stop(served.process) == 0
    assert processes_in_group(served.process.pid) == []

    # Read once nginx has stopped, so that it has written down every connection.
    log = (served.run_dir / "access.log").read_text()
    both = {f"127.0.0.1:{port + number}" for number in range(1, INSTANCES + 1)}
    assert set(re.findall(rf'"GET {SIGN_IN} HTTP/1.1" 200 \d+ \S+ upstream=(\S+)', log)) == both
    assert set(re.findall(rf'"POST {SIGN_IN} HTTP/1.1" \d+ \d+ \S+ upstream=(\S+)', log)) == both
    # nginx gave up on each slow request when its client went, and passed none of them on.
    assert re.findall(r'slow=\d+ HTTP/1.1" \d+ \d+ \S+ upstream=(\S+)', log) == ["-"] * SLOW_CLIENTS
