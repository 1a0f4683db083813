from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: backup and restore of the database and the stored files (manage.py backup / restore)."""

    name = "ops"
