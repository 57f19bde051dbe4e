"""Reading the audit copies django-simple-history keeps: a page that lists changes compares each copy of
an object with the copy before it."""


def with_previous(records):
    """Each copy in ``records`` (ordered by the object's id, then by time) with the copy of the same object
    before it, or None when it is the object's first."""
    previous = None
    for record in records:
        if previous is not None and previous.id != record.id:
            previous = None
        yield previous, record
        previous = record
