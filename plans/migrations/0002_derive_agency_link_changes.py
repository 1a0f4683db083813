from django.db import migrations

from plans.link_history import derive_link_changes, forget_derived_link_changes


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_plan_revisions"),
        ("measures", "0020_agency_link_changes"),
    ]

    operations = [migrations.RunPython(derive_link_changes, forget_derived_link_changes)]
