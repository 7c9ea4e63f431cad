"""Resident export through django-import-export: Chinese headers, masking, no formulas."""

from __future__ import annotations

from typing import Any

from import_export import fields, resources
from import_export.formats.base_formats import XLSX

from grids import pii
from grids.residents.models import Resident
from grids.roster import vocab
from grids.roster.spreadsheets import neutralise


class ResidentExport(resources.Resource):
    """One row per resident; ID number and phone masked unless the user may see them."""

    name = fields.Field(attribute="name", column_name="姓名")
    id_number = fields.Field(column_name="公民身份号码")
    sex = fields.Field(column_name="性别")
    birth_date = fields.Field(attribute="birth_date", column_name="出生日期")
    phone = fields.Field(column_name="联系电话")
    ethnicity = fields.Field(attribute="ethnicity", column_name="民族")
    community = fields.Field(attribute="grid__community__name", column_name="社区")
    grid = fields.Field(attribute="grid__name", column_name="所属网格")
    residence_type = fields.Field(column_name="居住类型")
    estate = fields.Field(attribute="household__estate", column_name="小区")
    building = fields.Field(attribute="household__building", column_name="楼栋")
    unit = fields.Field(attribute="household__unit", column_name="单元")
    room = fields.Field(attribute="household__room", column_name="室")
    household_no = fields.Field(attribute="household__household_no", column_name="户号")
    relation = fields.Field(column_name="与户主关系")
    political_status = fields.Field(column_name="政治面貌")
    tags = fields.Field(column_name="标签")
    moved_out_on = fields.Field(attribute="moved_out_on", column_name="迁出日期")
    note = fields.Field(attribute="note", column_name="备注")

    class Meta:
        chunk_size = 2000

    def __init__(self, *, user: Any) -> None:
        super().__init__()
        self.user = user
        self.unmasked = 0

    def dehydrate_id_number(self, resident: Resident) -> str:
        if pii.can_see(self.user, resident):
            self.unmasked += 1
            return resident.id_number
        return pii.mask_id(resident.id_number)

    def dehydrate_phone(self, resident: Resident) -> str:
        return resident.phone if pii.can_see(self.user, resident) else pii.mask_phone(resident.phone)

    def dehydrate_sex(self, resident: Resident) -> str:
        return vocab.SEX.get(resident.sex, "")

    def dehydrate_residence_type(self, resident: Resident) -> str:
        return vocab.RESIDENCE_TYPE.get(resident.residence_type, "")

    def dehydrate_relation(self, resident: Resident) -> str:
        return vocab.RELATION.get(resident.relation, "")

    def dehydrate_political_status(self, resident: Resident) -> str:
        return vocab.POLITICAL_STATUS.get(resident.political_status, "")

    def dehydrate_tags(self, resident: Resident) -> str:
        return "、".join(t.name for t in resident.tags.all())

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return [neutralise(v) for v in super().export_resource(instance, selected_fields, **kwargs)]


def export_residents(*, user: Any, queryset) -> tuple[bytes, int, int]:
    """The .xlsx bytes, the number of rows and the number of unmasked rows."""
    resource = ResidentExport(user=user)
    queryset = queryset.select_related("grid__community", "household").prefetch_related("tags").order_by("pk")
    dataset = resource.export(queryset)
    return XLSX().export_data(dataset), len(dataset), resource.unmasked
