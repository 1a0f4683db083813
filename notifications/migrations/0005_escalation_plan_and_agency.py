# Escalation steps of an agency's assigned items (issues 16 and 18): a step names its plan, and a
# zone, an agency or both, instead of always a zone.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_plan_and_agency(apps, schema_editor):
    """Existing steps keep their zone and take its plan; the steps of coordination requests also name
    the agency asked, as new ones do. Two UPDATEs, whatever the number of rows."""
    Escalation = apps.get_model("notifications", "Escalation")
    Zone = apps.get_model("zones", "Zone")
    CoordinationRequest = apps.get_model("measures", "CoordinationRequest")
    Escalation.objects.update(
        plan_id=Subquery(Zone.objects.filter(pk=OuterRef("zone_id")).values("plan_id")[:1])
    )
    Escalation.objects.filter(subject="request").update(
        agency_id=Subquery(
            CoordinationRequest.objects.filter(pk=OuterRef("object_id")).values("agency_id")[:1]
        )
    )


def refuse_agency_only_steps(apps, schema_editor):
    """Going back makes the zone required again, which steps about an agency's items cannot meet.
    They are the record of who was chased: stop with a clear message rather than delete them."""
    Escalation = apps.get_model("notifications", "Escalation")
    count = Escalation.objects.filter(zone__isnull=True).count()
    if count:
        raise RuntimeError(
            f"{count} escalation step(s) name an agency and no zone; notifications 0004 cannot hold them. "
            "Keep this migration, or export and remove those steps first."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0013_request_reply_by_and_asked_again"),
        ("notifications", "0004_signoff_notice_kinds"),
        ("zones", "0006_plan_requires_signoff"),
    ]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="plan",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="zones.plan",
                verbose_name="plan",
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="agency",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="escalations",
                to="zones.agency",
                verbose_name="agency",
            ),
        ),
        migrations.AlterField(
            model_name="escalation",
            name="zone",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="zones.zone",
                verbose_name="zone",
            ),
        ),
        migrations.RunPython(fill_plan_and_agency, refuse_agency_only_steps),
        migrations.AlterField(
            model_name="escalation",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="zones.plan",
                verbose_name="plan",
            ),
        ),
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.CheckConstraint(
                condition=models.Q(("zone__isnull", False), ("agency__isnull", False), _connector="OR"),
                name="escalation_has_zone_or_agency",
            ),
        ),
    ]
