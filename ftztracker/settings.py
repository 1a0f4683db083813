"""Settings for FTZ Tracker, read from the environment.

Defaults are safe for `make run` on a laptop: SQLite under data/, DEBUG on only
when asked for, a generated secret key kept in data/ so sessions survive restarts.
"""

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FTZ_DATA_DIR", BASE_DIR / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# One switch for a real deployment behind HTTPS; everything it changes is at the end of this file.
FTZ_PRODUCTION = env_bool("FTZ_PRODUCTION", False)


def _secret_key():
    if key := os.environ.get("SECRET_KEY"):
        return key
    if FTZ_PRODUCTION:
        # On a server the key must come from the operator's secret store: a file generated into
        # data/ would silently change (and sign everyone out) when the data folder is rebuilt.
        raise ImproperlyConfigured("FTZ_PRODUCTION=1 needs SECRET_KEY in the environment.")
    # A per-installation key kept beside the database, never a constant in the repo.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
if FTZ_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when FTZ_PRODUCTION=1: tracebacks show settings and data.")
if FTZ_PRODUCTION and not os.environ.get("ALLOWED_HOSTS"):
    # The laptop default (localhost only) would answer every real request with 400.
    raise ImproperlyConfigured("FTZ_PRODUCTION=1 needs ALLOWED_HOSTS, the host names the site is served on.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "simple_history",
    # Both for their system checks (and axes for its tables and admin); csp has no models.
    "csp",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Swagger UI's files as static files, for /api/v1/docs/ without a CDN.
    "drf_spectacular_sidecar",
    "core",
    "zones",
    "measures",
    "plans",
    "api",
    "indicators",
    "stocktakes",
    "ops",
    "directory",
    # Its two tables record CAS tickets per session (for single sign-out); unused while CAS is off.
    "django_cas_ng",
    "django_tasks",
    "django_tasks_db",
    "notifications",
]

MIDDLEWARE = [
    # First: forwarded headers from anyone but a trusted proxy are dropped before anything reads them.
    "ftztracker.security.UntrustedForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Adds the page policy (CONTENT_SECURITY_POLICY below) unless a view set its own header, as the
    # evidence download does with its stricter sandbox policy.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF: a NUL in the form is refused before anything else reads it.
    "ftztracker.security.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages: says on the sign-in page that an idle session ended (issue 14).
    "ftztracker.session_notice.SessionEndedMiddleware",
    # After auth (needs request.user) and messages (tells the user why they were signed out).
    "ftztracker.security.SessionLimitsMiddleware",
    # Pages and API answers for a signed-in user (or a token) are never kept by browsers or proxies.
    "ftztracker.security.PrivateResponsesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as axes asks: it turns a lockout flagged during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out sign-in is refused before the password is even checked.
    "ftztracker.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "ftztracker.urls"

# Where templates are found: the site-wide ones (base, errors, sign-in) in templates/; each page's own
# template beside its code, in <package>/templates/ of the measures domain package or of portal that
# renders it. Names keep their app prefix ("measures/task_detail.html"), wherever the file lives.
PAGE_TEMPLATE_DIRS = [
    BASE_DIR / "templates",
    *sorted((BASE_DIR / "measures").glob("*/templates")),
    BASE_DIR / "portal" / "templates",
]

FORM_RENDERER = "core.forms.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": PAGE_TEMPLATE_DIRS,
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "ftztracker.session_notice.session_guard",
            ],
        },
    },
]

WSGI_APPLICATION = "ftztracker.wsgi.application"

# Per process (each gunicorn worker its own): the task list's kept content (measures.tasks.page_cache,
# about 100 kB an entry for a manager at 200 zones, so at most ~30 MB a worker) and the API's
# throttle counts. Culled oldest-read first when full.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ftz",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("FTZ_CACHE_ENTRIES", "300"))},
    }
}

if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            # Health checks reopen a connection the database dropped (e.g. after a restart)
            # instead of failing the first request of each worker.
            os.environ["DATABASE_URL"],
            conn_max_age=60,
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The dashboard's aggregates over 500,000 reports look costly enough to the planner that it
        # JIT-compiles them, which took 0.66 of a 0.87 s query in `make bench`; the app's queries are
        # short and many, which is what PostgreSQL's own docs say JIT does not pay for.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", DATA_DIR / "ftztracker.sqlite3"),
            # Kept open between requests, as PostgreSQL's is: opened anew each request, SQLite read
            # the schema again and began with an empty page cache, a tenth of the task list's time.
            "CONN_MAX_AGE": int(os.environ.get("FTZ_SQLITE_CONN_MAX_AGE", 600)),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on
                # the busy timeout instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# whitenoise warns on every request when the folder is missing (before collectstatic).
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("FTZ_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (make run, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True

# Evidence lives here, outside the static tree; no URL serves this folder, only the
# permission-checked download view does.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
FTZ_EVIDENCE_MAX_BYTES = int(os.environ.get("FTZ_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))
FTZ_IMPORT_PREVIEW_MINUTES = int(os.environ.get("FTZ_IMPORT_PREVIEW_MINUTES", 60))

# Console by default; set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with
# EMAIL_HOST etc. for a real mail server.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ftz-tracker@localhost")
FTZ_SITE_URL = os.environ.get("FTZ_SITE_URL", "http://127.0.0.1:8000")
FTZ_NOTICE_LANGUAGE = os.environ.get("FTZ_NOTICE_LANGUAGE", "zh-hans")
# Days before a deadline when officers are reminded, and between chase notices after it.
FTZ_REMIND_DAYS_BEFORE = int(os.environ.get("FTZ_REMIND_DAYS_BEFORE", 7))
FTZ_CHASE_EVERY_DAYS = int(os.environ.get("FTZ_CHASE_EVERY_DAYS", 7))
# Days an agency is given to answer a coordination request when the asker names no reply-by date
# (a plan's active escalation rule, its "reply expected within", comes first).
FTZ_REQUEST_REPLY_DAYS = int(os.environ.get("FTZ_REQUEST_REPLY_DAYS", 10))

# --- Background work (notifications/, docs/notifications.md) -------------------------------------
# Django's tasks API through the django-tasks backport. The database backend needs nothing beside
# the app's own database; its worker is `manage.py db_worker` (make run starts it, deploy/ has a
# unit). A larger deployment switches backend here alone, e.g. FTZ_TASKS_BACKEND to an RQ or Celery
# backend class of the django-tasks family, with its own OPTIONS.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("FTZ_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Daily e-mail digests go out at this local hour the next morning; daily periodic jobs (reminders,
# escalation) run at the first tick from this hour on.
FTZ_DIGEST_HOUR = int(os.environ.get("FTZ_DIGEST_HOUR", 8))
FTZ_PERIODIC_HOUR = int(os.environ.get("FTZ_PERIODIC_HOUR", 8))
# A failed message is retried after 1, 2, 4, 8 … times this many seconds, up to the attempts.
FTZ_NOTIFY_RETRY_SECONDS = int(os.environ.get("FTZ_NOTIFY_RETRY_SECONDS", 60))
FTZ_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("FTZ_NOTIFY_MAX_ATTEMPTS", 5))

# --- Security -----------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
# Two session limits, both enforced by ftztracker.security.SessionLimitsMiddleware:
# - idle: after SESSION_COOKIE_AGE seconds without a request the session has ended. The middleware
#   renews the session's expiry as the user works (at most once a minute, so the limit is exact to
#   within a minute), which makes the age count from the last request instead of from sign-in.
#   SESSION_SAVE_EVERY_REQUEST would do the same with a database write on every request. 2 h lets
#   an officer spend a long while on one report form before saving it.
# - absolute: FTZ_SESSION_ABSOLUTE_SECONDS after sign-in the user is signed out however active,
#   so a stolen or forgotten session cannot be kept alive for ever.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 2 * 3600))
FTZ_SESSION_ABSOLUTE_SECONDS = int(os.environ.get("FTZ_SESSION_ABSOLUTE_SECONDS", 12 * 3600))
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Pages may load scripts, styles, images and fonts from this site only (everything is served by
# whitenoise, no CDN) and no inline script or style, so injected markup cannot run. data: images
# are allowed for small inline icons. Uploaded evidence never runs under this policy: the download
# view sends its own "sandbox; default-src 'none'", which the middleware leaves in place.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in throttling (django-axes). After AXES_FAILURE_LIMIT failed attempts the pair (user name,
# client IP) is locked for the cool-off; the right password is refused meanwhile, and each further
# attempt starts the cool-off again. Locking the pair rather than the user name alone means an
# attacker cannot lock a real officer out from somewhere else, and colleagues behind one office
# NAT address do not lock each other out; the price is that a guesser with many addresses gets
# five tries per address, which long passwords (the validators above) make worthless.
# Staff unlock someone early in the admin (Axes › Access attempts) or with
# `manage.py axes_reset_username <name>`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("FTZ_LOGIN_COOLOFF_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful sign-in forgets earlier failures, so the next typo does not lock the user out.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ftztracker.security.lockout_response"
# Behind a proxy every request comes from the proxy's address; this reads the real client's.
AXES_CLIENT_IP_CALLABLE = "ftztracker.security.client_ip"
AXES_WHITELIST_CALLABLE = "ftztracker.security.password_free_sign_in"

# Behind a reverse proxy that terminates TLS (nginx), Django sees plain HTTP; trust the proxy's
# X-Forwarded-Proto and X-Forwarded-For. Only set this when the proxy overwrites those headers,
# otherwise any client could claim to be on HTTPS or to come from any address.
FTZ_BEHIND_PROXY = env_bool("FTZ_BEHIND_PROXY", False)
if FTZ_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxies those headers are believed from (addresses or networks): a client that reaches the
# app server directly cannot forge its address (and escape the sign-in lockout) or claim HTTPS.
FTZ_TRUSTED_PROXIES = env_list("FTZ_TRUSTED_PROXIES", ["127.0.0.1", "::1"])

# Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a folder of their own, which every
# process start (each gunicorn worker, runserver) clears of spool files older than an hour: a
# worker killed mid-upload leaves its file behind, and nothing else would ever remove it.
FILE_UPLOAD_TEMP_DIR = str(Path(os.environ.get("FTZ_UPLOAD_TEMP_DIR", DATA_DIR / "upload-tmp")))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FTZ_UPLOAD_TEMP_MAX_AGE = int(os.environ.get("FTZ_UPLOAD_TEMP_MAX_AGE", 3600))

# The language choice is no secret, but it is only ever sent back over HTTPS in production and
# never read by scripts.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

if FTZ_PRODUCTION:
    # HTTPS only: redirect plain HTTP, never send the session or CSRF cookie over it, and tell
    # browsers (HSTS) to refuse HTTP for this host for a year. FTZ_SSL_REDIRECT=0 is for a proxy
    # that already redirects itself.
    SECURE_SSL_REDIRECT = env_bool("FTZ_SSL_REDIRECT", True)
    # Load balancers often probe over plain HTTP and count a redirect as a failure.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("FTZ_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FTZ_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading is hard to undo (browsers ship the list), so it is the operator's explicit choice;
    # left off, check --deploy's reminder about it (W021) is silenced rather than ignored each time.
    SECURE_HSTS_PRELOAD = env_bool("FTZ_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

PLAN_FIXTURE_DIR = BASE_DIR / "fixtures"

# --- Read API (api/, docs/api.md) ---------------------------------------------------------------
# Other government systems read with a per-user token (Authorization: Token <key>) that an
# administrator issues and revokes in the admin; signed-in browsers use their session. The token is
# looked up on every request, so deleting it locks the caller out at once. Token first, so a request
# without credentials is answered 401 with "WWW-Authenticate: Token". JSON only: no browsable API
# (its pages carry inline scripts the CSP forbids, and nobody needs them).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per user, for tokens and sessions alike. Requests without valid credentials are refused (401)
    # before throttling; a token is 160 random bits, so guessing one is hopeless anyway. The counts
    # live in the default cache: per process unless CACHES points at a shared one.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("FTZ_API_USER_RATE", "2000/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FTZ Tracker read API",
    "DESCRIPTION": "Read-only access to plans, zones, tasks, reports, outcomes and indicators, "
    "scoped like the pages. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema, like every API answer, only for signed-in users and token holders.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several models have a "state" or "type"; name each choice set after its own TextChoices.
    "ENUM_NAME_OVERRIDES": {
        # Reports and indicator values share one set of review states.
        "ReviewStateEnum": "measures.choices.ReportState",
        "OutcomeStateEnum": "measures.choices.OutcomeState",
        "OutcomeTypeEnum": "measures.choices.OutcomeType",
        "TaskStatusEnum": "measures.choices.TaskStatus",
        "ZoneKindEnum": "zones.choices.ZoneKind",
        "IndicatorDirectionEnum": "indicators.choices.Direction",
    },
    # Swagger UI from the sidecar package under /static/, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Directory sign-in (directory/, docs/deploy.md) ----------------------------------------------
# Off unless configured: FTZ_LDAP_SERVER_URI turns on LDAP (django-auth-ldap), FTZ_OIDC_CLIENT_ID
# OpenID Connect (mozilla-django-oidc), FTZ_CAS_SERVER_URL CAS (django-cas-ng). Directory backends come after the local one, so local
# accounts sign in as before; roles come from the rules administrators set (admin → Directory rules).
from directory.conf import (  # noqa: E402
    CAS_BACKEND,
    LDAP_BACKEND,
    OIDC_BACKEND,
    cas_settings,
    ldap_settings,
    oidc_settings,
)

_ldap = ldap_settings(os.environ)
_oidc = oidc_settings(os.environ)
_cas = cas_settings(os.environ)
globals().update(_ldap | _oidc | _cas)
for _on, _backend in ((_ldap, LDAP_BACKEND), (_oidc, OIDC_BACKEND), (_cas, CAS_BACKEND)):
    if _on:
        AUTHENTICATION_BACKENDS.append(_backend)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
