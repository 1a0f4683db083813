from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StocktakesConfig(AppConfig):
    name = "stocktakes"
    verbose_name = _("Stocktake meetings")

    def ready(self):
        from . import notices

        notices.register()
