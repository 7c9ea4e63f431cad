"""Ids beyond the database's integer range match nothing instead of failing the query.

A tampered id such as 99999999999999999999999 reaches filters through forms, query
strings and the admin. PostgreSQL compares it and finds nothing; SQLite (the database of
`make run`) cannot bind an integer past 64 bits and raises OverflowError, a server error.
Django already answers `exact`, `gt`, `lt` … on an integer column this way (no query is
run); these lookups do the same for `in` and for foreign keys (`grid_id=…`, `grid__in=…`),
which it leaves out, so no filter, form or admin page has to check the range itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def _fits(connection: Any, field: models.Field, value: Any) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    target = getattr(field, "target_field", field)  # a foreign key compares with the key it points to
    try:
        low, high = connection.ops.integer_field_range(target.get_internal_type())
    except KeyError:  # not an integer column
        return True
    return (low is None or value >= low) and (high is None or value <= high)


class _BoundedIn:
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value() and isinstance(self.rhs, list | tuple | set | frozenset):
            # An empty list is answered by In itself: EmptyResultSet, no query.
            self.rhs = [value for value in self.rhs if _fits(connection, self.lhs.output_field, value)]
        return super().process_rhs(compiler, connection)


class _BoundedExact:
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value() and not _fits(connection, self.lhs.output_field, self.rhs):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


class IntegerIn(_BoundedIn, In):
    pass


class ForeignKeyIn(_BoundedIn, RelatedIn):
    pass


class ForeignKeyExact(_BoundedExact, RelatedExact):
    pass


def register() -> None:
    models.IntegerField.register_lookup(IntegerIn)
    models.ForeignKey.register_lookup(ForeignKeyIn)
    models.ForeignKey.register_lookup(ForeignKeyExact)
