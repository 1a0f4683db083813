from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from core.access import count_with_roles

        from . import delivery, registry
        from .models import Notification

        registry.register_job("dispatch", lambda now: delivery.dispatch(now=now), "minute")
        # The bell's unread count is read in the same query as the user's roles.
        count_with_roles(
            "unread_notices", lambda user: Notification.objects.filter(recipient=user, read_at__isnull=True)
        )
