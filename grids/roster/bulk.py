"""Fast inserts for large imports: COPY on PostgreSQL, bulk_create elsewhere.

Django's bulk_create prepares every value of every row through the field machinery
and sends one huge INSERT; for a 100,000-row roster that is most of the import's
time. COPY streams plain text instead, built straight from each row's values
without model instances. Ids are taken from the table's sequence first, so the
caller can link rows (residents to households, tags and history).
"""

from __future__ import annotations

import datetime
import io
import json
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _json(value: Any) -> str:
    return _text(json.dumps(value, ensure_ascii=False))


_FORMATS: dict[type, Callable[[Any], str]] = {
    str: _text,
    int: str,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: r"\N",
    datetime.date: datetime.date.isoformat,
    datetime.datetime: datetime.datetime.isoformat,
    dict: _json,
    list: _json,
}


def _escape(value: Any) -> str:
    """One value in COPY's text format."""
    fmt = _FORMATS.get(type(value))
    return fmt(value) if fmt is not None else _text(str(value))


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _stamped(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], writer: Writer | None = None) -> list[int]:
    """Insert rows given as {attname: value} and return their new primary keys, in order.

    Every concrete field must be given, except auto_now / auto_now_add ones, which get the current time.
    With a writer, the rows are stored when the writer next runs; the keys are known at once.
    """
    if not rows:
        return []
    fields = _fields(model)
    stamped = [f.attname for f in fields if _stamped(f)]
    attnames = [f.attname for f in fields]
    missing = set(attnames) - set(stamped) - rows[0].keys()
    unknown = rows[0].keys() - set(attnames)
    if missing or unknown:
        raise ValueError(f"{model.__name__} rows lack {sorted(missing)} or have unknown {sorted(unknown)}")
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in created]
    now = timezone.now()
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, len(rows)]
        )
        ids = [new_id for (new_id,) in cursor.fetchall()]
        stamp = _escape(now)
        buffer = io.StringIO()
        write = buffer.write
        for new_id, row in zip(ids, rows, strict=True):
            write(str(new_id))
            for name in attnames:
                write("\t")
                write(_escape(row[name]) if name in row else stamp)
            write("\n")
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(c) for c in [pk, *(f.column for f in fields)])
        sql = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        if writer is not None:
            writer.copy(sql, buffer)
        else:
            cursor.copy_expert(sql, buffer)
    return ids


def insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert model instances and set their primary keys."""
    attnames = [f.attname for f in _fields(model) if not _stamped(f)]
    ids = insert_rows(model, [{name: getattr(obj, name) for name in attnames} for obj in objects])
    for obj, new_id in zip(objects, ids, strict=True):
        obj.pk = new_id


class Writer:
    """Runs queued COPY statements on a background thread, in order, so that PostgreSQL
    stores one batch (on the other core) while Python reads and checks the next.

    Use it as a context manager inside the transaction: while it is open, every query
    this thread sends through Django first waits for the background COPY to finish (the
    connection carries one statement at a time), and leaving it waits too, so the
    transaction never commits under a running COPY. A failed COPY raises its error at
    the next query or on leaving. Queue statements with insert_rows(..., writer=...)
    and start them with start(). Only PostgreSQL has COPY; elsewhere nothing is queued.
    """

    def __init__(self) -> None:
        self._queued: list[tuple[str, io.StringIO]] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._wrapper: Any = None

    def __enter__(self) -> Writer:
        self._wrapper = connection.execute_wrapper(self._before_query)
        self._wrapper.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                self.start()
            self._join()
        finally:
            self._wrapper.__exit__(kind, error, trace)
        if kind is None:
            self._raise()

    def _before_query(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        self._join()
        self._raise()
        return execute(sql, params, many, context)

    def copy(self, sql: str, buffer: io.StringIO) -> None:
        self._queued.append((sql, buffer))

    def start(self) -> None:
        """Run what is queued in the background (after whatever is still running)."""
        self._join()
        self._raise()
        if not self._queued:
            return
        statements, self._queued = self._queued, []
        # The driver's own connection: Django's wrapper belongs to this thread. Nothing else uses it
        # until _join() returns.
        raw = connection.connection

        def run() -> None:
            try:
                with raw.cursor() as cursor:
                    for sql, buffer in statements:
                        cursor.copy_expert(sql, buffer)
            except BaseException as error:  # noqa: BLE001 - handed to the importing thread
                self._error = error

        self._thread = threading.Thread(target=run, name="bulk-copy", daemon=True)
        self._thread.start()

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            with connection.wrap_database_errors:
                raise error
