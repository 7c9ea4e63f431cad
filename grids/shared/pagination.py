"""Long lists paged without counting or skipping more rows than a page needs."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class IdPaginator(Paginator):
    """Finds a page's ids first (an index-only scan, even deep into the list), then loads
    just those rows with their relations: OFFSET over whole rows costs a heap visit per
    skipped row."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = self.object_list.model._default_manager.select_related(*self.related)
        found = rows.prefetch_related(*self.prefetch).in_bulk(ids)
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        related: tuple[str, ...] = (),
        prefetch: tuple[str, ...] = (),
        cap: int = 10_000,
    ) -> None:
        super().__init__(object_list, per_page)
        self.related = related
        self.prefetch = prefetch
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        """Counted up to `cap`: a street's whole history (or roster) need not be counted to show page 1;
        past the cap the page says so and asks for a filter."""
        found = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)
