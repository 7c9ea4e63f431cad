from django.db import migrations

# The population tags most street offices keep, with common visit rules (days).
DEFAULT_TAGS = [
    ("低保", 30),
    ("特困", 30),
    ("残疾人", 30),
    ("独居老人", 7),
    ("空巢老人", 14),
    ("留守儿童", 14),
    ("退役军人", None),
    ("社区矫正", 7),
    ("刑满释放", 30),
    ("精神障碍", 7),
    ("重点信访人员", 7),
    ("党员", None),
]


def add_tags(apps, schema_editor):
    PopulationTag = apps.get_model("grids", "PopulationTag")
    for order, (name, days) in enumerate(DEFAULT_TAGS):
        PopulationTag.objects.get_or_create(name=name, defaults={"visit_interval_days": days, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("grids", "0002_residents")]
    operations = [migrations.RunPython(add_tags, migrations.RunPython.noop)]
