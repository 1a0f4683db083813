from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared layer: access rules, roles, upload checks, text and UI helpers. It has no models;
    it is an app only so that Django finds its template tags."""

    name = "core"

    def ready(self):
        from django.core.signals import request_started
        from django.db.backends.signals import connection_created

        from core.sqlite_file import follow_replaced_file, remember_file

        connection_created.connect(remember_file, dispatch_uid="core.sqlite_file.remember")
        request_started.connect(follow_replaced_file, dispatch_uid="core.sqlite_file.follow")
