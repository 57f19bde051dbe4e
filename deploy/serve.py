"""The service as it runs in production, on one machine: nginx on PORT in front of INSTANCES gunicorn
instances, each a process of its own on its own loopback port (PORT+1, PORT+2, ...), as separate machines
would be. `make serve` runs it (`python -m deploy.serve --port PORT`); tests/deploy starts it the same way.

nginx's configuration is deploy/nginx.conf with its fields (between at signs) filled in from the settings
(the upload limit, the static files) and written to the run directory, with nginx's pid, temporary files
and access log, so nginx runs as whoever starts it and needs no system paths. The instances are told that one proxy
is in front (DJANGO_PROXY_COUNT=1, unless set already) so that lock-out sees the person, not nginx.

Everything stops together: on Ctrl-C or SIGTERM, or as soon as one of the processes ends by itself.
"""

import argparse
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import django
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
# The form around the files of an upload: the other fields and each part's headers.
FORM_ROOM_BYTES = 1024 * 1024
# gunicorn finishes the requests in hand within its --graceful-timeout (10 s); after this, it is killed.
STOP_WAIT_SECONDS = 15


class Stop(Exception):
    """Raised by the signal handler to leave the wait for the processes."""


def render(template: str, **fields: str) -> str:
    """``template`` with each @NAME@ field replaced by ``fields[NAME]``; a field left unfilled is an error."""
    return re.sub(r"@([A-Z_]+)@", lambda match: fields[match.group(1)], template)


def nginx_config(*, port: int, instance_ports: list[int], run_dir: Path) -> str:
    """deploy/nginx.conf for nginx on ``port`` in front of the instances on ``instance_ports``."""
    from projects.services import MAX_FILES_PER_SUBMISSION  # only once django.setup() has run

    if os.geteuid() == 0:
        # Started by root, nginx's workers would otherwise run as nobody, who may not read the files.
        user = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};"
    else:
        user = "# nginx runs as the user who starts it."
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in instance_ports)
    return render(
        TEMPLATE.read_text(),
        USER=user,
        RUN_DIR=str(run_dir),
        LISTEN=f"127.0.0.1:{port}",
        UPSTREAM_SERVERS=servers,
        CLIENT_MAX_BODY_SIZE=str(MAX_FILES_PER_SUBMISSION * settings.UPLOAD_MAX_BYTES + FORM_ROOM_BYTES),
        STATIC_URL=settings.STATIC_URL,
        STATIC_ROOT=str(settings.STATIC_ROOT),
    )


def find_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        sys.exit("nginx is missing: `make nginx` installs Debian's package")
    return found


def instance_command(port: int, *, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--name",
        f"grants-{port}",
        "--workers",
        str(workers),
        # nginx has already read each request whole, so no worker waits on a client. One thread a worker by
        # default: on two cores, `make loadtest` served 46.8 requests a second with p95 220 ms with one, and
        # 43.2 with p95 620 ms with four, whose threads queue for Python's lock (--threads to change it).
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--access-logformat",
        f'{port} %(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms',
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        # Every instance would otherwise listen for commands on the same socket in the home directory.
        "--no-control-socket",
    ]


def listening(port: int, process: subprocess.Popen) -> bool:
    """Whether ``process`` came to accept connections on ``port`` (within a minute), rather than ending."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """Ask each process to finish what it is doing and stop; kill those still running after a while."""
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(*, port: int, instances: int, workers: int, threads: int, run_dir: Path) -> int:
    nginx = find_nginx()
    run_dir.mkdir(parents=True, exist_ok=True)
    instance_ports = [port + number for number in range(1, instances + 1)]
    config = run_dir / "nginx.conf"
    environment = {**os.environ, "DJANGO_PROXY_COUNT": os.environ.get("DJANGO_PROXY_COUNT", "1")}

    def ignore_signals():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def asked_to_stop(signum, frame):
        # A second Ctrl-C while the processes stop must not cut the stopping short.
        ignore_signals()
        raise Stop

    signal.signal(signal.SIGTERM, asked_to_stop)
    signal.signal(signal.SIGINT, asked_to_stop)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for instance_port in instance_ports:
            command = instance_command(instance_port, workers=workers, threads=threads)
            processes[f"instance {instance_port}"] = subprocess.Popen(command, cwd=ROOT, env=environment)
        # Read the settings while the instances start.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        django.setup()
        config.write_text(nginx_config(port=port, instance_ports=instance_ports, run_dir=run_dir))
        # nginx would count an instance still starting as dead, so it starts once they all listen.
        for instance_port in instance_ports:
            if not listening(instance_port, processes[f"instance {instance_port}"]):
                print(f"The instance on port {instance_port} did not start: stopping the others", flush=True)
                return 1
        processes["nginx"] = subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(config), "-e", "stderr"])
        print(
            f"nginx on http://127.0.0.1:{port}/ in front of {instances} instances on ports "
            f"{', '.join(map(str, instance_ports))}, each with {workers} workers of {threads} threads",
            flush=True,
        )
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"The {name} stopped (exit {process.returncode}): stopping the others", flush=True)
                    return 1
            time.sleep(0.5)
    except Stop:
        return 0
    finally:
        ignore_signals()
        stop(processes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="nginx listens on 127.0.0.1:PORT")
    parser.add_argument("--instances", type=int, default=2, help="gunicorn instances, on PORT+1, PORT+2, ...")
    parser.add_argument("--workers", type=int, default=2, help="worker processes in each instance")
    parser.add_argument("--threads", type=int, default=1, help="threads in each worker (default 1)")
    parser.add_argument("--run-dir", type=Path, help="nginx's configuration, pid, log and temporary files")
    arguments = parser.parse_args()
    for name in ("instances", "workers", "threads"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be at least 1")
    run_dir = (arguments.run_dir or ROOT / "var" / "run" / f"serve-{arguments.port}").resolve()
    return serve(
        port=arguments.port,
        instances=arguments.instances,
        workers=arguments.workers,
        threads=arguments.threads,
        run_dir=run_dir,
    )


if __name__ == "__main__":
    sys.exit(main())
