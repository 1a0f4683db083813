"""The JSON of each API resource. Codes and ids refer to other resources; choice fields carry the
stored value (e.g. "on_track"), which does not change with the caller's language."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from indicators.models import Indicator, IndicatorValue
from measures.models import InnovationOutcome, ProgressReport, ReportingPeriod, Task, TaskAgency, TaskCategory
from zones.models import Agency, Block, Plan, SubPlot, Zone


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "code", "title", "title_en", "issuer", "status", "source_file"]


class ZoneSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="code", read_only=True)
    block_count = serializers.IntegerField(read_only=True)
    task_count = serializers.IntegerField(read_only=True)
    blocks_area_km2 = serializers.DecimalField(
        source="summed_area", max_digits=9, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = Zone
        fields = [
            "id",
            "code",
            "plan",
            "kind",
            "annex_number",
            "name",
            "name_en",
            "dev_zone_name",
            "area_km2",
            "stated_block_count",
            "block_count",
            "blocks_area_km2",
            "task_count",
        ]


class SubPlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubPlot
        fields = ["number", "boundary"]


class BlockSerializer(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subplots = SubPlotSerializer(many=True, read_only=True)

    class Meta:
        model = Block
        fields = ["id", "zone", "number", "name", "area_km2", "boundary", "text", "subplots"]


class AgencySerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()
    task_count = serializers.IntegerField(read_only=True)
    zone_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "name", "name_en", "aliases", "task_count", "zone_count"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_aliases(self, agency):
        return [alias.alias for alias in agency.aliases.all()]


class PeriodRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportingPeriod
        fields = ["id", "name", "start", "end", "deadline"]


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskCategory
        fields = ["id", "number", "code", "title", "title_en"]


class AgencyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name"]


class TaskAgencyRefSerializer(serializers.ModelSerializer):
    """An agency named on a task, with its role there (lead, responsible, cooperating, supporting)."""

    id = serializers.IntegerField(source="agency_id", read_only=True)
    name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = TaskAgency
        fields = ["id", "name", "role"]


class LatestReportSerializer(serializers.ModelSerializer):
    period = PeriodRefSerializer(read_only=True)

    class Meta:
        model = ProgressReport
        fields = ["id", "period", "status", "state", "percent_complete", "submitted_at", "updated_at"]


class TaskSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="zone.plan.code", read_only=True)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = CategoryRefSerializer(read_only=True)
    agencies = TaskAgencyRefSerializer(source="agency_links", many=True, read_only=True)
    latest_report = LatestReportSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "zone",
            "category",
            "number",
            "code",
            "title",
            "title_en",
            "text",
            "agencies_text",
            "agencies",
            "source_ref",
            "closed_at",
            "latest_report",
        ]


class ReportSerializer(serializers.ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(read_only=True)
    zone = serializers.CharField(source="task.zone.code", read_only=True)
    task_number = serializers.IntegerField(source="task.number", read_only=True)
    period = PeriodRefSerializer(read_only=True)
    support_agency = AgencyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "task",
            "zone",
            "task_number",
            "period",
            "status",
            "percent_complete",
            "progress",
            "problems",
            "next_steps",
            "support_needed",
            "support_agency",
            "state",
            # Verified progress: the accepting manager's assessed completion and percent, beside
            # the zone's own percent_complete (null / "" until accepted with an assessment).
            "assessment",
            "verified_percent",
            "assessment_reason",
            "submitted_at",
            "reviewed_at",
            "updated_at",
        ]


class OutcomeSerializer(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    tasks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    period = PeriodRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = InnovationOutcome
        fields = [
            "id",
            "zone",
            "tasks",
            "period",
            "title",
            "description",
            "type",
            "state",
            "created_at",
            "submitted_at",
            "score",
            "evaluation",
            "evaluated_at",
            "decision_note",
            "decided_at",
            "replicated_where",
            "replicated_on",
        ]


class IndicatorRefSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.code", read_only=True)
    dimension = serializers.CharField(source="dimension.name", read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "plan",
            "dimension",
            "code",
            "name",
            "name_en",
            "unit",
            "direction",
            "baseline",
            "target",
            "target_year",
        ]


class IndicatorValueSerializer(serializers.ModelSerializer):
    indicator = IndicatorRefSerializer(read_only=True)
    zone = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = PeriodRefSerializer(read_only=True)
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "indicator",
            "zone",
            "period",
            "value",
            "source",
            "note",
            "has_evidence",
            "state",
            "submitted_at",
            "reviewed_at",
            "review_note",
        ]

    def get_has_evidence(self, value) -> bool:
        return bool(value.evidence_file)
