from django.db import migrations

# (name, respond hours, resolve working days) per level: community, street, department.
CATEGORIES = [
    ("安全隐患", (2, 2), (2, 3), (2, 5)),
    ("消防", (1, 1), (1, 2), (1, 3)),
    ("治安", (2, 2), (2, 3), (2, 5)),
    ("矛盾纠纷线索", (24, 5), (24, 7), (24, 10)),
    ("环境卫生", (24, 3), (24, 5), (24, 7)),
    ("违章搭建", (24, 5), (24, 10), (24, 15)),
    ("市容", (24, 3), (24, 5), (24, 7)),
    ("民生诉求", (24, 5), (24, 7), (24, 10)),
    ("其他", (24, 5), (24, 7), (24, 10)),
]
LEVELS = ("community", "street", "department")


def add(apps, schema_editor):
    EventCategory = apps.get_model("governance", "EventCategory")
    TimeLimit = apps.get_model("governance", "TimeLimit")
    for order, (name, *limits) in enumerate(CATEGORIES):
        category, _created = EventCategory.objects.get_or_create(name=name, defaults={"order": order})
        for level, (hours, days) in zip(LEVELS, limits, strict=True):
            TimeLimit.objects.get_or_create(
                category=category, level=level, defaults={"respond_hours": hours, "resolve_days": days}
            )


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_events")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
