"""Fast inserts for large imports: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create prepares every value of every row through the field machinery
and sends one huge INSERT; for a 100,000-row roster that is most of the import's
time. COPY streams plain text instead. Ids are taken from the table's sequence
first, so the caller can link rows (residents to households, tags and history).
"""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _escape(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    else:
        value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert `objects` and set their primary keys."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                setattr(obj, field.attname, now)
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, len(objects)]
        )
        for obj, (new_id,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = new_id
        columns = [pk, *(f.column for f in fields)]
        attnames = [model._meta.pk.attname, *(f.attname for f in fields)]
        buffer = io.StringIO()
        for obj in objects:
            buffer.write("\t".join(_escape(getattr(obj, name)) for name in attnames))
            buffer.write("\n")
        buffer.seek(0)
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN", buffer)
