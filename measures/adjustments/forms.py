"""Forms of the plan adjustment and major matter pages; the services decide, the forms check input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.choices import AdjustmentKind
from zones.models import Agency

NEW_MILESTONE_ROWS = 3
EXTRA_AGENCY_ROWS = 3


class ReasonMixin(forms.Form):
    wide_fields = ("text", "reason")

    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the plan should change: the policy, decision or situation behind it."),
    )


class TextAdjustmentForm(ReasonMixin):
    text = forms.CharField(label=_("New text of the task"), widget=forms.Textarea(attrs={"rows": 10}))
    field_order = ["text", "reason"]

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = task.text

    def service_kwargs(self):
        return {"text": self.cleaned_data["text"]}


class AgenciesAdjustmentForm(ReasonMixin):
    """The supporting agencies in order, one choice per position (the plan's order matters)."""

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        current = task.ordered_agencies
        agencies = Agency.objects.order_by("name")
        self.positions = []
        for position in range(1, len(current) + EXTRA_AGENCY_ROWS + 1):
            name = f"agency_{position}"
            self.fields[name] = forms.ModelChoiceField(
                queryset=agencies,
                required=False,
                label=_("Agency %(position)s") % {"position": position},
                empty_label=_("(none)"),
                initial=current[position - 1].pk if position <= len(current) else None,
            )
            self.fields[name].label_from_instance = lambda agency: agency.display_name
            self.positions.append(name)
        self.order_fields([*self.positions, "reason"])

    def position_fields(self):
        return [self[name] for name in self.positions]

    def service_kwargs(self):
        chosen = [self.cleaned_data[name] for name in self.positions]
        return {"agencies": [agency for agency in chosen if agency is not None]}


class MilestonesAdjustmentForm(ReasonMixin):
    """For each milestone a new due date or 'drop'; and a few rows for new milestones."""

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestones = list(task.milestones.order_by("due", "pk"))
        for milestone in self.milestones:
            self.fields[f"due_{milestone.pk}"] = forms.DateField(
                label=_("Due"), initial=milestone.due, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"drop_{milestone.pk}"] = forms.BooleanField(label=_("Drop"), required=False)
        for row in range(1, NEW_MILESTONE_ROWS + 1):
            self.fields[f"add_title_{row}"] = forms.CharField(
                label=_("New milestone"), required=False, max_length=200
            )
            self.fields[f"add_due_{row}"] = forms.DateField(
                label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def existing_rows(self):
        return [
            (milestone, self[f"due_{milestone.pk}"], self[f"drop_{milestone.pk}"])
            for milestone in self.milestones
        ]

    def new_rows(self):
        return [
            (self[f"add_title_{row}"], self[f"add_due_{row}"]) for row in range(1, NEW_MILESTONE_ROWS + 1)
        ]

    def service_kwargs(self):
        data = self.cleaned_data
        drop = [m for m in self.milestones if data.get(f"drop_{m.pk}")]
        move = [
            (m, data[f"due_{m.pk}"])
            for m in self.milestones
            if m not in drop and data[f"due_{m.pk}"] != m.due
        ]
        add = [
            (data.get(f"add_title_{row}"), data.get(f"add_due_{row}"))
            for row in range(1, NEW_MILESTONE_ROWS + 1)
            if data.get(f"add_title_{row}") or data.get(f"add_due_{row}")
        ]
        return {"add": add, "move": move, "drop": drop}


class WithdrawalForm(ReasonMixin):
    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Why the task should be withdrawn (撤销)")

    def service_kwargs(self):
        return {}


ADJUSTMENT_FORMS = {
    AdjustmentKind.TEXT: TextAdjustmentForm,
    AdjustmentKind.AGENCIES: AgenciesAdjustmentForm,
    AdjustmentKind.MILESTONES: MilestonesAdjustmentForm,
    AdjustmentKind.WITHDRAWAL: WithdrawalForm,
}


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), widget=forms.Textarea(attrs={"rows": 2}))
