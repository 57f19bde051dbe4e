"""The house in domain order: each app imports only apps in layers below its own (or its own
layer's core), never one above, and never inside a function to dodge a cycle.

    core                                  GOV.UK forms and fields, status life, admin bases, files
    accounts, audit                       people, roles, sign-in; who downloaded what
    notifications                         messages to people: what was sent, to whom, their choices
    grants                                the money: organisations, programmes, grants, allocations
    projects                              the work: projects, partners, milestones and their payments
    evaluations                           the evidence about projects
    downloads                             files made in the background (the ledger; reports' files, by name)
    reports, imports, publish             what is read out of and put into the layers below
                                          (people: invitations and who manages whom;
                                          api: the JSON API over the same querysets and services)
    reminders                             what is due and to whom, read through the reports' figures
    demo                                  the demo programme and the generator, over everything
    config                                settings and the URLs of every app

KNOWN lists the arrows that still run the wrong way, each to be removed by a move of its own;
the test fails if one is added, and also if one listed has gone (so the list only shrinks).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    {"core"},
    {"accounts", "audit"},
    {"notifications"},
    {"grants"},
    {"projects"},
    {"evaluations"},
    {"downloads"},
    {"reports", "imports", "publish", "people", "api"},
    {"reminders"},
    {"demo"},
    {"config"},
]
LAYER = {app: number for number, apps in enumerate(LAYERS) for app in apps}

# (module, app it imports, "top" or "function"): arrows still to be turned round. None today.
KNOWN: set[tuple[str, str, str]] = set()


def wrong_way_imports():
    found = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        app = relative.parts[0]
        if app not in LAYER or "migrations" in relative.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                other = name.split(".")[0]
                if other not in LAYER or other == app:
                    continue
                where = "top" if id(node) in top_level else "function"
                if LAYER[other] > LAYER[app] or where == "function" or (LAYER[other] == LAYER[app] and app != "core"):
                    found.add((relative.as_posix(), other, where))
    return found


def test_no_app_imports_one_above_it_or_hides_an_import_in_a_function():
    found = wrong_way_imports()
    assert found - KNOWN == set(), "a new import runs the wrong way"
    assert KNOWN - found == set(), "an arrow was turned round: take it off KNOWN"


def test_every_app_of_the_service_has_a_layer():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps - set(LAYER) == set()
