"""The plan import's forms: the upload (new plan or revision of one) and the agency choices."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zones.models import Agency, Plan

from .documents import MAX_BYTES

NEW, REVISION = "new", "revision"
CREATE = "create"


class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Plan document"),
        help_text=_(
            "Word (.docx), PDF with text, plain text (.txt, any encoding) or a task table (.xlsx, .csv), "
            "at most %(size)s MB."
        )
        % {"size": MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.pdf,.txt,.xlsx,.csv"}),
    )
    mode = forms.ChoiceField(
        label=_("Import as"),
        choices=[(NEW, _("A new plan")), (REVISION, _("A revision of an existing plan"))],
        initial=NEW,
        widget=forms.RadioSelect,
    )
    plan = forms.ModelChoiceField(
        label=_("Plan revised"),
        queryset=Plan.objects.order_by("code"),
        required=False,
        empty_label=_("(choose)"),
    )
    code = forms.SlugField(
        label=_("Code of the new plan"),
        max_length=60,
        required=False,
        help_text=_("Letters, digits and hyphens, e.g. third-batch. Used in addresses and exports."),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        return uploaded

    def clean(self):
        data = super().clean()
        if data.get("mode") == REVISION and not data.get("plan"):
            self.add_error("plan", _("Choose the plan this document revises."))
        if data.get("mode") == NEW and not data.get("code"):
            self.add_error("code", _("Give the new plan a code."))
        return data


class AgencyChoiceForm(forms.Form):
    """One choice per agency the registry does not know: create it, or map it to a known one."""

    def __init__(self, *args, unknown=(), **kwargs):
        super().__init__(*args, **kwargs)
        all_agencies = list(Agency.objects.order_by("name").values_list("pk", "name"))
        self.unknown = list(unknown)
        for index, entry in enumerate(self.unknown):
            suggested = [(str(pk), f"{name} ({score}%)") for name, score, pk in entry["suggestions"]]
            choices = [(CREATE, _("Create it as a new agency"))]
            if suggested:
                choices.append((_("Suggested"), suggested))
            choices.append((_("All agencies"), [(str(pk), name) for pk, name in all_agencies]))
            self.fields[f"agency_{index}"] = forms.ChoiceField(
                label=entry["name"], choices=choices, initial=CREATE, required=True
            )
            entry["field"] = f"agency_{index}"

    def choices(self):
        """{unknown name: agency id or None (create)}."""
        result = {}
        for index, entry in enumerate(self.unknown):
            value = self.cleaned_data[f"agency_{index}"]
            result[entry["name"]] = None if value == CREATE else int(value)
        return result

    def bound_rows(self):
        return [(entry, self[f"agency_{index}"]) for index, entry in enumerate(self.unknown)]


SAME, DIFFERENT = "same", "different"


class PairingForm(forms.Form):
    """One decision per uncertain pairing of a revision: the same task (it keeps everything recorded
    on it) or different tasks (the old one is withdrawn with what it carries, the new one added)."""

    def __init__(self, *args, uncertain=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.uncertain = list(uncertain)
        for index, change in enumerate(self.uncertain):
            self.fields[f"pair_{index}"] = forms.ChoiceField(
                label=_("Task %(old)s of %(zone)s and the document's task %(new)s")
                % {"old": change["old_number"], "zone": change["zone"], "new": change["new_number"]},
                choices=[
                    (SAME, _("The same task: it keeps its reports and everything recorded on it")),
                    (DIFFERENT, _("Different tasks: the old one is withdrawn (撤销) and the new one added")),
                ],
                widget=forms.RadioSelect(attrs={"form": "import-confirm-form"}),
                error_messages={"required": _("Decide whether these are the same task.")},
            )

    def matches(self):
        """{(zone code, old number): new number, or None for different tasks}, as --match takes it."""
        return {
            (change["zone"], change["old_number"]): (
                change["new_number"] if self.cleaned_data[f"pair_{index}"] == SAME else None
            )
            for index, change in enumerate(self.uncertain)
        }

    def field_for(self, change):
        return self[f"pair_{self.uncertain.index(change)}"]
