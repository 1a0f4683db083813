"""Write one timestamped archive of the database, the evidence files and a manifest."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database and MEDIA_ROOT into ftz-backup-YYYYMMDD-HHMMSS.tar.gz (with manifest.json)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=settings.DATA_DIR / "backups",
            help="folder for the archive (default: FTZ_DATA_DIR/backups; copy it off the machine)",
        )

    def handle(self, *args, output, **options):
        try:
            archive = create_backup(output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(archive))
