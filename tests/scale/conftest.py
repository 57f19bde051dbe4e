"""A small generated programme shared by the tests of a module, and a canonical
dump of a generated programme's rows for comparing two runs."""

import pytest
from django.db import transaction

from accounts.models import User
from demo.generate import generate_programme, programme_rows
from evaluations.models import OutcomeMeasure
from grants.models import Organisation, Source
from projects.models import Theme

# Rows outside a generated programme are named by their natural keys.
NATURAL_KEYS = {User: "username", Organisation: "org_id", Source: "title", Theme: "name", OutcomeMeasure: "name"}


@pytest.fixture(scope="module")
def small(django_db_setup, django_db_blocker):
    """Five projects from seed 11, generated once for the module and rolled back after it."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield generate_programme(projects=5, seed=11)
            transaction.set_rollback(True)


def canonical_dump(programme) -> dict[str, list[tuple]]:
    """Every row of the programme, its audit history included, without primary keys:
    a key to a row of the programme becomes that row's rank in its table (rows are
    written in a fixed order), a key to any other row becomes its natural key."""
    ranks: dict = {}
    dump = {}
    for model, queryset in programme_rows(programme):
        pk_name = model._meta.pk.attname
        rows = list(queryset.order_by(pk_name).values())
        ranks[model] = {row[pk_name]: rank for rank, row in enumerate(rows)}
        base = getattr(model, "instance_type", None)  # a django-simple-history record's model
        relations = {f.attname: f.related_model for f in model._meta.concrete_fields if f.is_relation}
        naturals = {}
        for attname, related in relations.items():
            if related not in ranks:
                keys = {row[attname] for row in rows if row[attname] is not None}
                field = NATURAL_KEYS[related]
                naturals[attname] = dict(related.objects.filter(pk__in=keys).values_list("pk", field))

        def value(attname, raw):
            if raw is None:
                return None
            if attname in relations:
                related = relations[attname]
                return ("row", ranks[related][raw]) if related in ranks else naturals[attname][raw]
            if base is not None and attname == "id":
                return ("row", ranks[base][raw])
            return raw

        dump[model._meta.label] = [
            tuple((name, value(name, raw)) for name, raw in row.items() if name != pk_name) for row in rows
        ]
    return dump
