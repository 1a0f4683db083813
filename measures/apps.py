from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("Tasks")

    def ready(self):
        from django.db.models.signals import post_migrate, pre_migrate

        from . import db_triggers, notices

        notices.register()
        # Every migrate run, so a later migration that rebuilds a table can neither fail on nor
        # silently drop the triggers the counts rest on (db_triggers says why).
        pre_migrate.connect(db_triggers.before_migrate, sender=self, dispatch_uid="measures_triggers_pre")
        post_migrate.connect(db_triggers.after_migrate, sender=self, dispatch_uid="measures_triggers_post")
