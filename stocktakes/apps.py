from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StocktakesConfig(AppConfig):
    name = "stocktakes"
    verbose_name = _("Stocktake meetings")

    def ready(self):
        from measures import demo as measures_demo

        from . import demo, notices

        notices.register()
        measures_demo.register("stocktakes", demo.generate)
