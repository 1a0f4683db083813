from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneKind(models.TextChoices):
    LINKED_ZONE = "linked_zone", _("Linked innovation zone")
    FTZ_AREA = "ftz_area", _("FTZ area")
    # The five-year plan's measures apply to the FTZ as a whole, not to one area or zone.
    WHOLE_FTZ = "whole_ftz", _("The whole FTZ")
