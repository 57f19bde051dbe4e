"""`make bench`: the service's figures at national scale, each beside a raw floor
measured in the same run, so that the ratio means something on a noisy machine.

    make bench                                   # SQLite file bench/bench.sqlite3, N = 1,000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mig_bench make bench
    BENCH_PROJECTS=50 make bench                 # a smaller programme
    BENCH_SECTIONS=pages,360giving make bench    # some of: pages spending downloads pdfs 360giving import
    BENCH_PAGES="impact report,council" make bench  # the pages whose "who: label" holds one of these

It generates the programme (`generate_programme --projects N --seed 1`) unless the
database already holds it, then prints one line per figure and writes them all to
bench/results/latest.json. Peak memory of each download is measured in a child
process of its own, so one download's memory does not hide another's.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_DEVELOPMENT", "1")
os.environ.setdefault("DJANGO_DEBUG", "0")  # DEBUG would keep every query in memory
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REPEATS = 5
SEED = 1
RESULTS = ROOT / "bench" / "results"


def median_time(function, repeats=REPEATS):
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


class Report:
    def __init__(self):
        self.figures = []

    def line(self, name, **values):
        self.figures.append({"name": name, **values})
        shown = "  ".join(f"{key}={_shown(value)}" for key, value in values.items())
        print(f"{name:<58} {shown}", flush=True)


def _shown(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# --- The generated programme ------------------------------------------------------


def ensure_programme(projects: int):
    from django.core.management import call_command

    from demo import generate
    from grants.models import Programme

    call_command("migrate", verbosity=0)
    programme = Programme.objects.filter(name=generate.programme_name(SEED)).first()
    if programme is not None and programme.projects.count() == projects:
        print(f"Using the generated programme already in the database ({projects:,} projects)")
        return programme
    print(f"Generating a programme of {projects:,} projects (seed {SEED})…", flush=True)
    started = time.perf_counter()
    call_command("generate_programme", projects=projects, seed=SEED, replace=programme is not None, verbosity=1)
    print(f"Generated in {time.perf_counter() - started:.1f} s", flush=True)
    return Programme.objects.get(name=generate.programme_name(SEED))


# --- Pages ---------------------------------------------------------------------------


def replay_seconds(queries):
    """The raw floor of a page: the same SQL, run straight through the database cursor."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            # Reads only: SELECT, and WITH ... SELECT (reconciliation's balance check).
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(sql)
            cursor.fetchall()
    return time.perf_counter() - started


# Pages kept in the cache once worked out, until the data changes (core/data_version.py): each is
# measured as most readers get it, from the cache, and as the first reader after a change does.
WORKED_OUT_ONCE = {
    "dashboard",
    "project page",
    "reconciliation",
    "spending report",
    "spending report by organisation",
    "impact report",
    "payments waiting",
    "project impact report",
}


def bench_pages(report, programme):
    # BENCH_PAGES=impact,dashboard times only the pages whose "who: label" holds one of the words.
    only_pages = [part for part in os.environ.get("BENCH_PAGES", "").split(",") if part]
    from django.core.cache import cache
    from django.urls import reverse

    from accounts.models import User
    from evaluations.models import Evaluation
    from grants.models import Allocation
    from projects.models import Milestone, Project

    officer = User.objects.get(username="bench-officer")
    evaluator = User.objects.get(username="bench-evaluator")
    project = Project.objects.filter(programme=programme, partnerships__isnull=False).order_by("pk").first()
    council_user = (
        User.objects.filter(username__startswith="bench-gb-lae", organisation__partnerships__project=project).first()
        or User.objects.filter(username__startswith="bench-gb-lae").first()
    )
    grant = project.grants.order_by("pk").first()
    allocation = Allocation.objects.filter(grant__project=project, recipient=council_user.organisation).first() or (
        Allocation.objects.filter(recipient=council_user.organisation).order_by("pk").first()
    )
    milestone = Milestone.objects.filter(project=project).order_by("pk").first()
    council_milestone = (
        Milestone.objects.filter(allocation__recipient=council_user.organisation).order_by("pk").first() or milestone
    )
    evaluation = Evaluation.objects.for_user(evaluator).order_by("pk").first()

    def page(name, **kwargs):
        return reverse(name, kwargs=kwargs)

    officer_pages = [
        ("dashboard", page("projects:dashboard")),
        ("project list", page("projects:list")),
        ("project list, page 30", page("projects:list") + "?page=30"),
        ("project list, filtered", page("projects:list") + "?status=active"),
        ("project page", page("projects:detail", project_pk=project.pk)),
        ("project changes", page("projects:history", project_pk=project.pk)),
        ("project edit form", page("projects:edit", project_pk=project.pk)),
        ("milestone page", page("projects:milestone", milestone_pk=milestone.pk)),
        ("grant page", page("grants:detail", grant_pk=grant.pk)),
        ("allocation page", page("grants:allocation", allocation_pk=allocation.pk)),
        ("payments waiting", page("grants:payments-waiting")),
        ("spend returns to review", page("spend-returns-to-review")),
        ("spend returns due", page("spend-returns-due")),
        ("variations", page("grants:variations")),
        ("reconciliation", page("grants:reconciliation")),
        ("evaluations", page("evaluations:list")),
        ("evaluation page", page("evaluations:detail", evaluation_pk=evaluation.pk)),
        ("evaluation form", page("evaluations:create")),
        ("measures", page("evaluations:measure-list")),
        ("reports", page("reports:index")),
        ("spending report", page("reports:spending")),
        ("spending report by organisation", page("reports:spending") + "?group=organisation"),
        ("board pack page", page("reports:board-pack")),
        ("impact report", page("impact:report")),
        ("project impact report", page("impact:project", project_pk=project.pk)),
        ("project impact card", page("impact:card", project_pk=project.pk)),
        ("ledger page", page("downloads:ledger")),
        ("publication page", page("publish:index")),
    ]
    council_pages = [
        ("your projects", page("projects:yours")),
        ("project page", page("projects:detail", project_pk=project.pk)),
        ("milestone page", page("projects:milestone", milestone_pk=council_milestone.pk)),
        ("allocation page", page("grants:allocation", allocation_pk=allocation.pk)),
        ("spend return form", page("grants:spend-return-create", allocation_pk=allocation.pk)),
        ("spend return upload", page("imports:spend-returns-upload")),
        ("ledger page", page("downloads:ledger")),
    ]
    evaluator_pages = [
        ("your evaluations", page("evaluations:yours")),
        ("evaluation page", page("evaluations:detail", evaluation_pk=evaluation.pk)),
        ("result form", page("evaluations:result-create", evaluation_pk=evaluation.pk)),
    ]
    for who, user, pages in (
        ("officer", officer, officer_pages),
        ("council", council_user, council_pages),
        ("evaluator", evaluator, evaluator_pages),
    ):
        client = Client()
        client.force_login(user)
        for label, url in pages:
            if only_pages and not any(part in f"{who}: {label}" for part in only_pages):
                continue
            client.get(url)  # warm caches and connections
            # A full query log (it keeps 9,000) would leave the capture empty.
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            # Copied now: the capture reads the connection's log lazily, and the next
            # request empties that log.
            queries = list(captured.captured_queries)
            status = response.status_code
            seconds, _ = median_time(lambda url=url: client.get(url), repeats=7)
            floor = replay_seconds(queries)
            report.line(
                f"page {who}: {label}",
                status=status,
                queries=len(queries),
                median_ms=seconds * 1000,
                sql_floor_ms=floor * 1000,
                ratio=seconds / floor if floor else None,
            )
            if label in WORKED_OUT_ONCE:
                # The same page with nothing kept: what the first reader after a change waits for.
                def afresh(url=url):
                    cache.clear()
                    return client.get(url)

                cache.clear()
                connection.queries_log.clear()
                with CaptureQueriesContext(connection) as captured:
                    client.get(url)
                queries = list(captured.captured_queries)
                seconds, _ = median_time(afresh, repeats=7)
                floor = replay_seconds(queries)
                report.line(
                    f"page {who}: {label}, worked out afresh",
                    queries=len(queries),
                    median_ms=seconds * 1000,
                    sql_floor_ms=floor * 1000,
                    ratio=seconds / floor if floor else None,
                )


# --- Downloads, each in a child process for its peak memory ---------------------------


def measure_in_child(kind: str) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind], capture_output=True, text=True, env=os.environ.copy(), check=False
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "failed"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _peak_mb():
    """This process's peak resident memory (VmHWM). Not ru_maxrss, which Linux carries
    over from the parent process and so would report the bench's own peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str) -> dict:
    """One download, measured alone: its rows per second, its floor, and the process's peak memory."""
    import csv
    import io

    from openpyxl import Workbook

    from accounts.models import User
    from downloads import ledger

    officer = User.objects.get(username="bench-officer")
    baseline_mb = _peak_mb()
    if kind == "csv":
        started = time.perf_counter()
        out = io.StringIO()
        rows = 0
        for chunk in ledger.stream_csv(ledger.ledger_rows(officer)):
            rows += 1
            out.write(chunk)
            if out.tell() > 50_000_000:  # keep the sink from growing: a real response sends it on
                out.seek(0)
                out.truncate()
        seconds = time.perf_counter() - started
        peak = _peak_mb()
        rows -= 2  # the byte order mark and the header
        # The floor: the same rows already in memory, through Python's csv writer.
        in_memory = list(ledger.ledger_rows(officer))
        sink = io.StringIO()
        started = time.perf_counter()
        writer = csv.writer(sink)
        writer.writerow(ledger.HEADER)
        writer.writerows(in_memory)
        floor = time.perf_counter() - started
        return {
            "rows": rows,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "floor_rows_per_s": rows / floor,
            "ratio": (rows / seconds) / (rows / floor),
            "peak_mb": peak,
            "start_mb": baseline_mb,
        }
    if kind == "xlsx":
        import tempfile

        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            rows = 0

            def counted():
                nonlocal rows
                for row in ledger.ledger_rows(officer):
                    rows += 1
                    yield row

            ledger.write_xlsx(Path(directory) / "ledger.xlsx", counted())
            seconds = time.perf_counter() - started
            peak = _peak_mb()
            in_memory = list(ledger.ledger_rows(officer))
            started = time.perf_counter()
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("Ledger")
            sheet.append(ledger.HEADER)
            for row in in_memory:
                sheet.append(row)
            workbook.save(Path(directory) / "floor.xlsx")
            floor = time.perf_counter() - started
        return {
            "rows": rows,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "floor_rows_per_s": rows / floor,
            "ratio": (rows / seconds) / (rows / floor),
            "peak_mb": peak,
            "start_mb": baseline_mb,
        }
    if kind in ("spending_xlsx", "spending_pdf"):
        from reports.downloads import build_spending_pdf, build_spending_xlsx
        from reports.spending import SpendingFilters, SpendingReport

        started = time.perf_counter()
        made = SpendingReport(officer, SpendingFilters(), "project")
        content = (build_spending_xlsx if kind == "spending_xlsx" else build_spending_pdf)(made)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "megabytes": len(content) / 1e6, "peak_mb": _peak_mb(), "start_mb": baseline_mb}
    raise SystemExit(f"unknown measurement {kind}")


def bench_downloads(report):
    for kind in ("csv", "xlsx"):
        figures = measure_in_child(kind)
        report.line(f"ledger {kind} (streamed from the database)", **figures)
    for kind, name in (
        ("spending_xlsx", "spending report xlsx, whole programme"),
        ("spending_pdf", "spending report PDF, whole programme"),
    ):
        report.line(f"{name} (time, peak memory)", **measure_in_child(kind))


# --- The spending report against one hand-written GROUP BY ---------------------------

HAND_WRITTEN = """
SELECT a.financial_year,
       SUM(a.resource + a.capital),
       SUM(COALESCE(p.net, 0)),
       SUM(COALESCE(s.spent, 0)),
       SUM(COALESCE((SELECT r.forecast FROM grants_spendreturn r WHERE r.allocation_id = a.id
                     ORDER BY r.quarter DESC LIMIT 1), 0))
FROM grants_allocation a
LEFT JOIN (SELECT allocation_id, SUM(CASE WHEN kind = 'payment' THEN amount ELSE -amount END) AS net
           FROM grants_payment GROUP BY allocation_id) p ON p.allocation_id = a.id
LEFT JOIN (SELECT allocation_id, SUM(spent) AS spent FROM grants_spendreturn GROUP BY allocation_id) s
       ON s.allocation_id = a.id
GROUP BY a.financial_year
ORDER BY a.financial_year
"""


def reader():
    from accounts.models import User

    return User.objects.get(username="bench-officer")


def bench_spending_report(report):
    from decimal import Decimal

    from reports.spending import SpendingFilters, SpendingReport

    def ours():
        made = SpendingReport(reader(), SpendingFilters(), "financial_year")
        return made.rows(), made.totals

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN)
            return cursor.fetchall()

    seconds, (rows, totals) = median_time(ours)
    floor_seconds, raw = median_time(floor)
    allocated = sum(Decimal(str(row[1])) for row in raw)
    agree = abs(allocated - totals.allocated) < Decimal("0.01") if totals.allocated is not None else False
    report.line(
        "spending report by financial year (whole programme)",
        median_ms=seconds * 1000,
        sql_floor_ms=floor_seconds * 1000,
        ratio=seconds / floor_seconds,
        rows=len(rows),
        totals_agree=agree,
    )


# --- PDFs against WeasyPrint on the same HTML ---------------------------------------------


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def bench_pdfs(report):
    import datetime as dt

    from core.pdf import html_to_pdf, render_pdf_html
    from reports import board_pack
    from reports.downloads import PDF_TEMPLATE, build_spending_pdf, spending_pdf_context
    from reports.spending import SpendingFilters, SpendingReport

    spending = SpendingReport(reader(), SpendingFilters(), "project")
    cases = [
        (
            "spending report PDF (by project)",
            lambda: build_spending_pdf(spending),
            lambda: render_pdf_html(PDF_TEMPLATE, spending_pdf_context(spending)),
        ),
        (
            "board pack PDF",
            lambda: board_pack.build_board_pack_pdf(dt.date.today()),
            lambda: render_pdf_html(board_pack.PDF_TEMPLATE, board_pack.board_pack_context(dt.date.today())),
        ),
    ]
    for name, build, html in cases:
        started = time.perf_counter()
        pdf = build()
        seconds = time.perf_counter() - started
        page_html = html()
        started = time.perf_counter()
        html_to_pdf(page_html)
        floor = time.perf_counter() - started
        report.line(name, seconds=seconds, weasyprint_floor_s=floor, ratio=seconds / floor, pages=_pages(pdf))


# --- The 360Giving publication ----------------------------------------------------------------


def bench_threesixtygiving(report):
    from django.utils import timezone

    from publish.threesixtygiving import json_ready, package, publication

    def ours():
        return json.dumps(json_ready(package(publication(), issued=timezone.now())))

    seconds, text = median_time(ours, repeats=3)
    built = json_ready(package(publication(), issued=timezone.now()))
    floor, _ = median_time(lambda: json.dumps(built), repeats=3)
    report.line(
        "360Giving JSON of every published grant, built",
        seconds=seconds,
        json_dumps_floor_s=floor,
        ratio=seconds / floor,
        grants=len(built["grants"]),
        megabytes=len(text) / 1e6,
    )
    # As the public is served it: built once for each change of the data, then from the cache. The first
    # request builds; the median is of the requests after it, beside the SQL they run (the version check).
    from django.core.cache import cache
    from django.urls import reverse

    cache.clear()
    client = Client()
    for kind, name in (("json", "360giving-json"), ("xlsx", "360giving-xlsx")):
        url = reverse(f"publish:{name}")
        started = time.perf_counter()
        first = client.get(url)
        first_seconds = time.perf_counter() - started
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = list(captured.captured_queries)
        served, response = median_time(lambda url=url: client.get(url), repeats=7)
        floor = replay_seconds(queries)
        report.line(
            f"360Giving {kind} served after its first build",
            status=response.status_code,
            first_build_s=first_seconds,
            queries=len(queries),
            median_ms=served * 1000,
            sql_floor_ms=floor * 1000,
            megabytes=len(first.content) / 1e6,
        )


# --- The 10,000-row spend return import -------------------------------------------------------


def bench_import(report):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import_spend.py")],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    figures = {}
    for line in completed.stdout.splitlines():
        if line.startswith("openpyxl read_only parse"):
            figures["openpyxl_read_only_s"] = float(line.split()[-2])
        elif line.startswith("full import"):
            figures["import_s"] = float(line.split(")")[-1].split()[0])
        elif line.startswith("file"):
            figures["rows"] = line.split()[1]
    if "import_s" in figures and "openpyxl_read_only_s" in figures:
        figures["ratio"] = figures["import_s"] / figures["openpyxl_read_only_s"]
    else:
        figures["error"] = (completed.stderr.strip().splitlines() or ["no output"])[-1]
    report.line("spend return import (bench/import_spend.py)", **figures)


# --- Main ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=int(os.environ.get("BENCH_PROJECTS", "1000")))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help="Only migrate and generate the programme if missing.")
    args = parser.parse_args()
    if args.prepare:
        ensure_programme(args.projects)
        return
    if args.child:
        print(json.dumps(child(args.child)))
        return
    report = Report()
    print(
        f"Database: {connection.vendor} ({connection.settings_dict['NAME']}); machine: {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    programme = ensure_programme(args.projects)
    sections = {
        "pages": lambda: bench_pages(report, programme),
        "spending": lambda: bench_spending_report(report),
        "downloads": lambda: bench_downloads(report),
        "pdfs": lambda: bench_pdfs(report),
        "360giving": lambda: bench_threesixtygiving(report),
        "import": lambda: bench_import(report),
    }
    chosen = os.environ.get("BENCH_SECTIONS", ",".join(sections)).split(",")
    if os.environ.get("BENCH_IMPORT", "1") == "0":
        chosen = [name for name in chosen if name != "import"]
    unknown = set(chosen) - set(sections)
    if unknown:
        raise SystemExit(f"BENCH_SECTIONS names {', '.join(sorted(unknown))}; choose from {', '.join(sections)}")
    for name in chosen:
        sections[name]()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "database": connection.vendor,
        "projects": args.projects,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "figures": report.figures,
    }
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=2, default=str))
    print(f"Written to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
