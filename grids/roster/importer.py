"""The roster import: validate every row, classify it against the database, and write.

One code path serves the preview (nothing written) and the import (all rows valid, or
only the valid ones, in one transaction). Rows are handled in batches whose query
count does not depend on the size of the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import access
from grids.pii import mask_phone
from grids.residents.actions import TRACKED, identity, registered_elsewhere_message, set_identity
from grids.residents.cleaning import (
    CellError,
    choice_cleaner,
    clean_id_number,
    clean_name,
    clean_phone,
    id_birth_date,
    id_sex,
    normalise_text,
    parse_date,
)
from grids.residents.models import Household, PopulationTag, Resident, ResidentChange
from grids.roster import bulk, reader, vocab
from grids.roster.xlsx import DEFAULT_LIMITS, Limits, UploadRejected
from grids.tree.models import Community, Grid, Street

BATCH = 2000
ANALYZE_AFTER = 5000
MAX_REPORTED_MOVES = 500
# A roster is for one's own area: a file naming more people registered elsewhere than a
# family or two moving in is refused whole, so it cannot serve to find out where people live.
MAX_ELSEWHERE = 5

SEX_CHOICES = vocab.accepted(vocab.SEX, 男性="M", 女性="F", m="M", f="F")
RESIDENCE_CHOICES = vocab.accepted(
    vocab.RESIDENCE_TYPE, 户籍="registered", 常住="resident", 流动="migrant", 境外="foreign", 境外人口="foreign"
)
RELATION_CHOICES = vocab.accepted(
    vocab.RELATION,
    本人="head",
    妻="spouse",
    妻子="spouse",
    夫="spouse",
    丈夫="spouse",
    子="child",
    女="child",
    儿子="child",
    女儿="child",
    长子="child",
    长女="child",
    次子="child",
    次女="child",
    父亲="parent",
    母亲="parent",
    孙子="grandchild",
    孙女="grandchild",
    外孙="grandchild",
    外孙女="grandchild",
    兄="sibling",
    弟="sibling",
    姐="sibling",
    妹="sibling",
)
POLITICAL_CHOICES = vocab.accepted(vocab.POLITICAL_STATUS, 党员="cpc", 预备党员="cpc_probationary", 团员="cyl")
TAG_SPLIT = re.compile(r"[,，、;；/\s]+")

# Fields compared to decide whether an existing resident is unchanged: those the history
# tracks, but the ID number, which is how the row found the resident.
COMPARED = tuple(name for name in TRACKED if name != "id_number")
ADDRESS = ("estate", "building", "unit", "room")


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Report:
    """What an import did (or, in a preview, would do)."""

    total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: set[int] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)
    moves_total: int = 0
    # Rows whose ID number is registered outside the importer's area: what a move request needs.
    elsewhere: list[dict[str, Any]] = field(default_factory=list)
    # The residents those rows matched, for the caller to log (see run); not shown to the importer.
    lookups: list[int] = field(default_factory=list)
    sheet: str = ""

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    def reject(self, row: int, column: str, message: str) -> None:
        self.rejected_rows.add(row)
        self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "moves_total": self.moves_total,
            "moves": self.moves,
            "elsewhere": self.elsewhere,
            "sheet": self.sheet,
            "errors": [[e.row, e.column, e.message] for e in sorted(self.errors, key=lambda e: e.row)],
        }


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    grid: Grid
    tags: list[int]
    household_key: tuple | None = None


class Context:
    """Everything loaded once per import: the user's grids, tags and known households."""

    def __init__(self, user: Any, header: dict[int, str], labels: dict[str, str]) -> None:
        self.user = user
        self.header = header
        self.labels = labels
        grids = list(access.visible_grids(user, access.CHANGE).select_related("community"))
        self.grid_ids = {g.pk for g in grids}
        self.grids_by_key: dict[str, list[Grid]] = {}
        for grid in grids:
            for key in {
                grid.name,
                grid.code,
                f"{grid.community.name}{grid.name}",
                f"{grid.community.name}·{grid.name}",
                f"{grid.community.name} · {grid.name}",
            }:
                self.grids_by_key.setdefault(normalise_text(key), []).append(grid)
        self.only_grid = grids[0] if len(grids) == 1 else None
        self.tags = {t.name: t.pk for t in PopulationTag.objects.filter(is_active=True)}
        self.tag_names = {pk: name for name, pk in self.tags.items()} | dict(
            PopulationTag.objects.filter(is_active=False).values_list("pk", "name")
        )
        self.households: dict[tuple, int] = {}
        self.seen_ids: dict[str, int] = {}
        columns = {name: index for index, name in header.items()}
        self.grid_column = columns.get("grid")
        self.tags_column = columns.get("tags")
        self.plan = _plan(self)
        self.writer: bulk.Writer | None = None
        self.elsewhere_ids: list[int] = []
        # (row, column index, error) of required cells the sheet reader gave as empty: see _explain_formulas.
        self.blank_cells: list[tuple[int, int, RowError]] = []

    def label(self, field_name: str) -> str:
        return self.labels.get(field_name, field_name)


def _cell(values: list[object], index: int | None) -> object:
    if index is None or index >= len(values):
        return None
    return values[index]


def _text(value: object, limit: int) -> str:
    text = normalise_text(value)
    if len(text) > limit:
        raise CellError(_("“%(value)s” is longer than %(max)d characters.") % {"value": text[:20] + "…", "max": limit})
    return text


def _plan(ctx: Context) -> list[tuple[str, int, Callable[[object], Any]]]:
    """(field, column index, cleaner) for each field the sheet has, in the order rows are checked."""
    today = timezone.localdate()
    cleaners: dict[str, Callable[[object], Any]] = {
        "name": clean_name,
        "id_number": functools.partial(clean_id_number, today=today),
        "phone": clean_phone,
        "ethnicity": functools.partial(_text, limit=16),
        **{
            name: functools.partial(_text, limit=limit)
            for name, limit in (
                ("estate", 64),
                ("building", 32),
                ("unit", 16),
                ("room", 16),
                ("household_no", 32),
                ("note", 200),
            )
        },
        "residence_type": choice_cleaner(RESIDENCE_CHOICES, ctx.label("residence_type"), empty="registered"),
        "relation": choice_cleaner(RELATION_CHOICES, ctx.label("relation"), empty=""),
        "political_status": choice_cleaner(POLITICAL_CHOICES, ctx.label("political_status"), empty=""),
        "moved_out_on": parse_date,
        "sex": choice_cleaner(SEX_CHOICES, ctx.label("sex"), empty=""),
        "birth_date": parse_date,
    }
    columns = {name: index for index, name in ctx.header.items()}
    return [(name, columns[name], cleaner) for name, cleaner in cleaners.items() if name in columns]


def _validate(number: int, values: list[object], ctx: Context, report: Report) -> Row | None:
    cleaned: dict[str, Any] = {}
    ok = True
    width = len(values)
    for name, index, cleaner in ctx.plan:
        value = values[index] if index < width else None
        try:
            cleaned[name] = cleaner(value)
        except CellError as error:
            report.reject(number, ctx.label(name), str(error))
            if value in ("", None):
                ctx.blank_cells.append((number, index, report.errors[-1]))
            ok = False

    grid = _grid(number, _cell(values, ctx.grid_column), ctx, report)
    ok = ok and grid is not None

    tag_ids: list[int] = []
    tags_cell = _cell(values, ctx.tags_column)
    for tag in TAG_SPLIT.split(normalise_text(tags_cell)) if tags_cell not in (None, "") else ():
        if not tag:
            continue
        if tag not in ctx.tags:
            report.reject(
                number,
                ctx.label("tags"),
                _("Unknown tag “%(value)s”; use the tags listed in the template.") % {"value": tag},
            )
            ok = False
        elif ctx.tags[tag] not in tag_ids:
            tag_ids.append(ctx.tags[tag])

    number_ = cleaned.get("id_number")
    if number_:
        if cleaned.get("sex") and cleaned["sex"] != id_sex(number_):
            report.reject(number, ctx.label("sex"), _("The sex does not match the ID number."))
            ok = False
        if cleaned.get("birth_date") and cleaned["birth_date"] != id_birth_date(number_):
            report.reject(number, ctx.label("birth_date"), _("The birth date does not match the ID number."))
            ok = False
        first = ctx.seen_ids.get(number_)
        if first is not None:
            report.reject(
                number,
                ctx.label("id_number"),
                _("The same ID number is already in row %(row)d of this file.") % {"row": first},
            )
            ok = False
        else:
            ctx.seen_ids[number_] = number
    if not ok:
        return None
    return Row(number, cleaned, grid, tag_ids)


def _grid(number: int, value: object, ctx: Context, report: Report) -> Grid | None:
    key = normalise_text(value)
    if not key:
        if ctx.only_grid is not None and "grid" not in ctx.header.values():
            return ctx.only_grid
        report.reject(number, ctx.label("grid"), _("The grid is required."))
        if ctx.grid_column is not None:
            ctx.blank_cells.append((number, ctx.grid_column, report.errors[-1]))
        return None
    matches = ctx.grids_by_key.get(key, [])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        report.reject(
            number,
            ctx.label("grid"),
            _("Several grids are named “%(value)s”; write the community and grid, or the grid code.") % {"value": key},
        )
    else:
        # The same words whether the grid exists elsewhere or not at all: which names are real is not told.
        report.reject(
            number, ctx.label("grid"), _("None of the grids you may change is named “%(value)s”.") % {"value": key}
        )
    return None


def _household_key(row: Row) -> tuple:
    # Asked for several times per row, and only once the row's address is complete.
    if row.household_key is None:
        row.household_key = (row.grid.pk, *(row.values.get(name, "") for name in ADDRESS))
    return row.household_key


def _residents_by_id_number(numbers: list[str]) -> QuerySet[Resident]:
    if connection.vendor == "postgresql":
        # One array parameter: Django would prepare each of the batch's IN values on its own.
        table = connection.ops.quote_name(Resident._meta.db_table)
        return Resident.objects.filter(
            RawSQL(f"{table}.id_number = ANY(%s)", (numbers,), output_field=BooleanField())  # noqa: S611
        )
    return Resident.objects.filter(id_number__in=numbers)


_EXISTING_FIELDS = ("pk", "id_number", *COMPARED, "grid__name", *(f"household__{a}" for a in ADDRESS))


def _process_batch(rows: list[Row], ctx: Context, report: Report, *, write: bool) -> None:
    # Plain values, not model instances: most rows of a re-import are unchanged and need no object.
    existing = {
        values[1]: dict(zip(_EXISTING_FIELDS, values, strict=True))
        for values in _residents_by_id_number([row.values["id_number"] for row in rows]).values_list(*_EXISTING_FIELDS)
    }
    tags_of: dict[int, set[int]] = {}
    for resident_id, tag_id in Resident.tags.through.objects.filter(
        resident_id__in=[r["pk"] for r in existing.values()]
    ).values_list("resident_id", "populationtag_id"):
        tags_of.setdefault(resident_id, set()).add(tag_id)
    for row in rows:
        current = existing.get(row.values["id_number"])
        if current is not None:
            # Columns the sheet does not have keep their current values.
            for name in ADDRESS:
                row.values.setdefault(name, current[f"household__{name}"])
    if write:
        _ensure_households(rows, ctx)
    creates: list[tuple[Row, dict[str, Any]]] = []
    updates: list[tuple[Row, Resident, dict[str, list[Any]]]] = []
    has_tags = "tags" in ctx.header.values()
    for row in rows:
        current = existing.get(row.values["id_number"])
        if current is not None and current["grid_id"] not in ctx.grid_ids:
            report.reject(row.number, ctx.label("id_number"), registered_elsewhere_message())
            ctx.elsewhere_ids.append(current["pk"])
            if len(ctx.elsewhere_ids) > MAX_ELSEWHERE:
                raise _TooManyElsewhere
            report.elsewhere.append(
                {
                    "row": row.number,
                    "id_number": row.values["id_number"],
                    "to_grid": row.grid.pk,
                    **{name: row.values.get(name, "") for name in ADDRESS},
                }
            )
            continue
        if current is None:
            report.new += 1
            if write:
                creates.append((row, _new_resident(row, ctx)))
            continue
        changes = {}
        for name in (
            "name",
            "phone",
            "ethnicity",
            "relation",
            "residence_type",
            "political_status",
            "moved_out_on",
            "note",
        ):
            if name in row.values and row.values[name] != current[name]:
                changes[name] = [_show(name, current[name]), _show(name, row.values[name])]
        if current["grid_id"] != row.grid.pk:
            changes["grid"] = [current["grid__name"], row.grid.name]
        old_address = [current[f"household__{a}"] for a in ADDRESS]
        new_address = [row.values[a] for a in ADDRESS]
        if current["grid_id"] != row.grid.pk or old_address != new_address:
            changes["address"] = [" ".join(v for v in old_address if v), " ".join(v for v in new_address if v)]
        old_tags = tags_of.get(current["pk"], set())
        new_tags = set(row.tags) if has_tags else old_tags
        if new_tags != old_tags:
            changes["tags"] = [sorted(ctx.tag_names[t] for t in old_tags), sorted(ctx.tag_names[t] for t in new_tags)]
        if not changes:
            report.unchanged += 1
            continue
        report.updated += 1
        if current["grid_id"] != row.grid.pk:
            report.moves_total += 1
            if len(report.moves) < MAX_REPORTED_MOVES:
                report.moves.append(
                    {"row": row.number, "name": current["name"], "from": current["grid__name"], "to": row.grid.name}
                )
        if write:
            resident = Resident(pk=current["pk"], **{k: current[k] for k in COMPARED})
            _apply(resident, row, ctx)
            if not has_tags:
                row.tags = sorted(old_tags)
            updates.append((row, resident, changes))
    if write:
        _write(creates, updates, ctx)
        if ctx.writer is not None:
            ctx.writer.start()


def _show(name: str, value: Any) -> Any:
    if name == "phone":
        return mask_phone(value or "")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _new_resident(row: Row, ctx: Context) -> dict[str, Any]:
    """The database row of a new resident (a dict, not a model instance: see bulk.insert_rows)."""
    v = row.values
    return {
        **identity(v["name"], v["id_number"]),
        "phone": v.get("phone", ""),
        "ethnicity": v.get("ethnicity", ""),
        "grid_id": row.grid.pk,
        "household_id": ctx.households[_household_key(row)],
        "relation": v.get("relation", ""),
        "residence_type": v.get("residence_type", "registered"),
        "political_status": v.get("political_status", ""),
        "moved_out_on": v.get("moved_out_on"),
        "note": v.get("note", ""),
        "created_by_id": ctx.user.pk,
        "imported": True,
    }


def _apply(resident: Resident, row: Row, ctx: Context) -> None:
    v = row.values
    set_identity(resident, name=v.get("name", resident.name), id_number=v["id_number"])
    for name in ("phone", "ethnicity", "relation", "residence_type", "political_status", "moved_out_on", "note"):
        if name in v:
            setattr(resident, name, v[name])
    resident.grid_id = row.grid.pk
    resident.household_id = ctx.households[_household_key(row)]


def _ensure_households(rows: list[Row], ctx: Context) -> None:
    keys = {_household_key(row) for row in rows} - ctx.households.keys()
    if not keys:
        return
    for h in Household.objects.filter(grid_id__in={k[0] for k in keys}).values_list("id", "grid_id", *ADDRESS):
        ctx.households.setdefault(tuple(h[1:]), h[0])
    missing = [k for k in keys if k not in ctx.households]
    numbers = {_household_key(row): row.values.get("household_no", "") for row in rows}
    created = [
        Household(grid_id=k[0], estate=k[1], building=k[2], unit=k[3], room=k[4], household_no=numbers.get(k, ""))
        for k in missing
    ]
    bulk.insert(Household, created)
    for key, household in zip(missing, created, strict=True):
        ctx.households[key] = household.pk


def _write(creates, updates, ctx: Context) -> None:
    through = Resident.tags.through
    new_ids = bulk.insert_rows(Resident, [values for _row, values in creates], ctx.writer)
    if updates:
        now = timezone.now()
        for _row, r, _c in updates:
            r.updated_at = now
        Resident.objects.bulk_update(
            [r for _row, r, _c in updates],
            [
                "name",
                "name_pinyin",
                "name_initials",
                "phone",
                "ethnicity",
                "grid",
                "household",
                "relation",
                "residence_type",
                "political_status",
                "moved_out_on",
                "note",
                "updated_at",
            ],
        )
        through.objects.filter(resident_id__in=[r.pk for _row, r, _c in updates]).delete()
    bulk.insert_rows(
        through,
        [
            {"resident_id": pk, "populationtag_id": t}
            for (row, _values), pk in zip(creates, new_ids, strict=True)
            for t in row.tags
        ]
        + [{"resident_id": r.pk, "populationtag_id": t} for row, r, _c in updates for t in row.tags],
        ctx.writer,
    )
    bulk.insert_rows(
        ResidentChange,
        [
            {"resident_id": r.pk, "kind": ResidentChange.Kind.UPDATED.value, "by_id": ctx.user.pk, "changes": c}
            for _row, r, c in updates
        ],
        ctx.writer,
    )


def _explain_formulas(fileobj: BinaryIO, roster: reader.Roster, ctx: Context) -> None:
    """Say so where a required cell looked empty because it holds a formula whose value was never computed."""
    if not ctx.blank_cells:
        return
    offset = roster.first_column
    formulas = reader.formula_cells(fileobj, roster.part, {(row, offset + col) for row, col, _e in ctx.blank_cells})
    for row, col, error in ctx.blank_cells:
        if (row, offset + col) in formulas:
            error.message = _(
                "The cell holds a formula whose value was not saved in the file. Copy the column and paste it back "
                "with Paste Special → Values (选择性粘贴→数值), or open the file in Excel or WPS and save it so the "
                "values are computed, then upload it again."
            )


def run(
    fileobj: BinaryIO,
    *,
    user: Any,
    write: bool,
    valid_only: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
    counted: int | None = None,
    sheet: str | None = None,
) -> Report:
    """Validate (and, with write=True, import) a roster. Raises UploadRejected for unusable files.

    Rows matching people outside the user's area are in `report.lookups` (or, when they
    refuse the file, the error's `resident_ids`): the caller logs them with pii.log_lookups
    after its own transaction, so that a refused or rolled-back file still leaves them logged.

    With write=True and valid_only=False nothing is written unless every row is valid.
    `counted` passes on a row count made when the file arrived (see reader.iter_rows); `sheet` names the
    sheet to read, which otherwise is the one whose first rows hold the header (see reader.open_roster).
    """
    report = Report()
    roster = reader.open_roster(fileobj, limits, counted=counted, sheet=sheet)
    report.sheet = roster.sheet
    header = roster.header
    labels = {name: normalise_text(roster.header_values[col]) for col, name in header.items()}
    ctx = Context(user, header, labels)
    if "grid" not in header.values() and ctx.only_grid is None:
        raise UploadRejected(_("The sheet has no grid column (网格 or 所属网格); add it so each person can be placed."))

    try:
        _run_rows(roster.rows, ctx, report, write=write, valid_only=valid_only, progress=progress)
    except _TooManyElsewhere:
        raise ElsewhereRejected(
            _(
                "More than %(n)d people in this file are registered in grids outside your area. A roster may only "
                "hold your own area's residents; contact the street office to sort out where these people belong."
            )
            % {"n": MAX_ELSEWHERE},
            resident_ids=ctx.elsewhere_ids,
        ) from None
    report.lookups = ctx.elsewhere_ids
    _explain_formulas(fileobj, roster, ctx)
    written = report.new + report.updated
    if write and written >= ANALYZE_AFTER and (valid_only or not report.rejected):
        refresh_statistics()
    return report


class _TooManyElsewhere(Exception):
    pass


class ElsewhereRejected(UploadRejected):
    """A file naming too many people registered outside the importer's area; `resident_ids`
    are the matches so far, for the caller to log."""

    def __init__(self, message: str, *, resident_ids: list[int]) -> None:
        super().__init__(message)
        self.resident_ids = resident_ids


def _run_rows(
    rows: Iterable[tuple[int, list[object]]],
    ctx: Context,
    report: Report,
    *,
    write: bool,
    valid_only: bool,
    progress: Callable[[int], None] | None,
) -> None:
    with transaction.atomic(), bulk.Writer() as ctx.writer:
        if write and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        batch: list[Row] = []
        for number, values in rows:
            report.total += 1
            row = _validate(number, values, ctx, report)
            if row is not None:
                batch.append(row)
            if len(batch) >= BATCH:
                _process_batch(batch, ctx, report, write=write)
                batch = []
                if progress:
                    progress(report.total)
        if batch:
            _process_batch(batch, ctx, report, write=write)
        if progress:
            progress(report.total)
        if write and report.rejected and not valid_only:
            # All-or-nothing: one rejected row and nothing of this import stays.
            transaction.set_rollback(True)


def refresh_statistics() -> None:
    """After a large import the planner's row estimates are stale (autovacuum catches up
    later); without fresh ones it sorts the whole roster for the first list page.

    The tree's tables are included: autovacuum never analyzes a table of a few dozen rows,
    and without statistics the planner takes a street's grids for one row and sorts the
    whole roster to show page 500 (800 ms instead of 130 ms at 100,000 residents).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Resident, Household, Resident.tags.through, Street, Community, Grid):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
