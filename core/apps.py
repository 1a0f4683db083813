from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared layer: access rules, roles, upload checks, text and UI helpers. It has no models;
    it is an app only so that Django finds its template tags."""

    name = "core"
