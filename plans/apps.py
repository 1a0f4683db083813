from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    """Reading plan documents and loading them, first versions and revisions alike."""

    name = "plans"
    verbose_name = _("Plan imports")
