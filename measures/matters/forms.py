"""Forms of the major matter pages; the services decide, the forms check input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.choices import MatterUrgency
from measures.models import MajorMatter, Task
from zones.models import Agency


class MatterForm(forms.ModelForm):
    wide_fields = ("task", "title", "description")

    class Meta:
        model = MajorMatter
        fields = ["zone", "task", "urgency", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"task": _("Leave empty for a matter that concerns the whole zone.")}

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["zone"].label_from_instance = lambda zone: zone.display_name
        self.fields["task"].queryset = (
            Task.objects.filter(zone__in=zones)
            .select_related("zone")
            .order_by("zone__annex_number", "number")
        )
        self.fields["task"].label_from_instance = lambda task: (
            f"{task.zone.short_name} {task.display_number}. {task.display_title}"
        )
        self.fields["urgency"].choices = MatterUrgency.choices
        self.fields["task"].empty_label = _("(none)")
        own = list(zones)
        if len(own) == 1:
            # An officer of one zone has it chosen for them, as on the outcome form.
            self.fields["zone"].empty_label = None
            if not self.initial.get("zone"):
                self.initial["zone"] = own[0].pk
        else:
            self.fields["zone"].empty_label = _("(choose)")

    def _post_clean(self):
        # The service validates the matter as a whole (it also checks the task's zone).
        pass


class MatterStartForm(forms.Form):
    """?task= or ?zone= from the page a matter is raised from; anything else is ignored."""

    task = forms.ModelChoiceField(queryset=Task.objects.none(), required=False)
    zone = forms.ModelChoiceField(queryset=Agency.objects.none(), required=False, to_field_name="code")

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["task"].queryset = Task.objects.filter(zone__in=zones).select_related("zone")


class RespondForm(forms.Form):
    response = forms.CharField(label=_("Response"), widget=forms.Textarea(attrs={"rows": 4}))


class CloseMatterForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when you close a matter that has not been answered yet."),
    )
