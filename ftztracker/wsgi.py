import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ftztracker.settings")
application = get_wsgi_application()

# Spool files a killed worker left behind (see FILE_UPLOAD_TEMP_DIR in settings).
from ftztracker.security import clean_upload_temp_dir  # noqa: E402

clean_upload_temp_dir()
