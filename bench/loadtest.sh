#!/usr/bin/env bash
# A bounded load test on loopback: `make serve` on PostgreSQL with the generated
# programme, then locust headless with LOADTEST_USERS signed-in users (officers, council
# staff and evaluators, in the proportions bench/locustfile.py gives) for
# LOADTEST_SECONDS; prints requests per second, p50/p95/p99 and the error count.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${LOADTEST_PORT:-8799}
export LOADTEST_USERS=${LOADTEST_USERS:-50}
USERS=$LOADTEST_USERS
SECONDS_TO_RUN=${LOADTEST_SECONDS:-60}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mig_bench}
export BENCH_PROJECTS=${BENCH_PROJECTS:-1000}
case "$DATABASE_URL" in postgres*) ;; *) echo "The load test runs on PostgreSQL: set DATABASE_URL" >&2; exit 2 ;; esac

# Sessions are signed with the server's secret key, so make it first and share it.
make .secret-key >/dev/null
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$(cat .secret-key)}

# The generated programme and its users (with the generated password, development only),
# then one signed-in session per simulated user.
DJANGO_DEVELOPMENT=1 .venv/bin/python -m config.ensure_database
DJANGO_DEVELOPMENT=1 .venv/bin/python bench/bench.py --prepare
DJANGO_DEVELOPMENT=1 .venv/bin/python - <<'PY'
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
# One signed-in session per simulated user, made here as the sign-in page would make it,
# so that the test measures browsing rather than 50 password hashes at once.
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User

def signed_in(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(3600)
    session.create()
    return session.session_key

# Officers, council staff and evaluators: each simulated user signs in as one of its role.
councils = list(
    User.objects.filter(username__startswith="bench-gb-lae", organisation__partnerships__isnull=False)
    .distinct().order_by("username")[:50]
)
users = {
    "officer": [User.objects.get(username="bench-officer")],
    "council": councils,
    "evaluator": [User.objects.get(username="bench-evaluator")],
}
count = int(os.environ.get("LOADTEST_USERS", "50"))
sessions = {role: [signed_in(people[i % len(people)]) for i in range(count)] for role, people in users.items()}
json.dump(sessions, open("/tmp/loadtest_sessions.json", "w"))
PY

# Officers sign in with a password alone here: the test measures pages, not two-factor.
export TWO_FACTOR_REQUIRED=0
setsid make serve PORT="$PORT" > /tmp/loadtest-server.log 2>&1 &
server=$!
trap 'kill -- -$server 2>/dev/null || pkill -f "deploy.serve --port '"$PORT"' " || true' EXIT
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/account/sign-in/" && break
  sleep 1
done

rm -f /tmp/loadtest_stats.csv
.venv/bin/locust -f bench/locustfile.py --headless --users "$USERS" --spawn-rate "$USERS" \
  --run-time "${SECONDS_TO_RUN}s" --stop-timeout 5 --host "http://127.0.0.1:$PORT" \
  --csv /tmp/loadtest --only-summary > /tmp/loadtest-locust.log 2>&1 || true
.venv/bin/python - <<'PY'
import csv, json, pathlib
rows = list(csv.DictReader(open("/tmp/loadtest_stats.csv")))
total = next(r for r in rows if r["Name"] == "Aggregated")
print(f"{'request':<26}{'count':>8}{'errors':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
for r in rows:
    print(f"{r['Name']:<26}{r['Request Count']:>8}{r['Failure Count']:>8}{float(r['Requests/s']):>8.1f}"
          f"{r['50%']:>8}{r['95%']:>8}{r['99%']:>8}")
out = pathlib.Path("bench/results/loadtest.json")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(rows, indent=2))
print(f"Written to {out}")
PY
