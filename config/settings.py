"""Settings for Manage innovation grants.

Everything that differs between a laptop and production comes from the
environment. DJANGO_DEVELOPMENT=1 (set by `make run` and the tests) turns on
DEBUG and allows a built-in secret key; without it a secret key and the
allowed hosts must be given, and a bad value stops the service.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT = env_bool("DJANGO_DEVELOPMENT", default=False)
DEBUG = env_bool("DJANGO_DEBUG", default=DEVELOPMENT)
if DEBUG and not DEVELOPMENT:
    raise ImproperlyConfigured("DJANGO_DEBUG=1 is only allowed together with DJANGO_DEVELOPMENT=1")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEVELOPMENT:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set outside development")
    SECRET_KEY = "development-only-secret-key-never-used-in-production"
elif not DEVELOPMENT and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters in production")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEVELOPMENT else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set outside development")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "accounts.apps.ServiceAdminConfig",  # the Django admin, signed in through the service's sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_filters",
    "django_tables2",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "simple_history",
    "core",
    "accounts",
    "grants",
    "projects",
    "evaluations",
    "audit",
    "notifications",
    "reports",
    "publish",
    "imports",
    "django_tasks",
    "django_tasks_db",
    "downloads",
    "people",
    "reminders",
    "ninja",  # the API's browsable documentation (its Swagger UI files)
    "api",
    "demo",  # the top layer: the demo and generated programmes; nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the application server, compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on everything a signed-in user is sent.
    "core.middleware.PrivateResponses",
    # A NUL character in the query or a form field: a 400, never a PostgreSQL error.
    "core.middleware.RefuseNulCharacters",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "accounts.middleware.ReadOnlyViewerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Puts the signed-in user on every change the audit history records.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A write to /api/v1/ retried with the same Idempotency-Key is done once (api/idempotency.py).
    "api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

_default_database = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
_database_url = os.environ.get("DATABASE_URL", "").strip() or _default_database
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL this service understands: {error}") from None
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must name a SQLite file or a PostgreSQL database")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialise writers instead of failing with "database is locked" under load.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # PostgreSQL's JIT compiler suits long analytical queries, not pages: a report's query whose cost
    # estimate crossed its threshold spent 1.4 s compiling to save milliseconds (issue 17). The default 4 MB
    # of sort memory sent the impact report's sort of 20,000 results to disk, which doubled its time; 32 MB
    # is per sort, so fifty busy connections stay within a small fraction of the machine.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off -c work_mem=32MB".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# AxesStandaloneBackend first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.UsernameOrEmailBackend"]
FORM_RENDERER = "core.forms.GovukRenderer"

# Figures and pages worked out once for each change of the data (core/data_version.py) are kept in
# the cache: with REDIS_URL, in Redis, shared by every server process; without it, in each process's
# own memory (development and tests).
_redis_url = os.environ.get("REDIS_URL", "").strip()
if _redis_url and not _redis_url.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must be a redis://, rediss:// or unix:// address")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": "mig",
            # A Redis that stops answering fails a request (and /health/) in a second, not never.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# Sign-in protection (django-axes): 5 failed tries for one username from one address
# lock that pair out for 15 minutes. A username in any case and the account's email
# address count as one (accounts.backends.lockout_name). Every sign-in (AccessLog),
# failure and lock-out (AccessFailureLog) is kept; officers unlock at /account/lockouts/.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.backends.lockout_name"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"

# Two-factor sign-in (django-otp, an authenticator app) for funder staff, who move the
# money: required outside development; optional for the demo users in development.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", default=not DEVELOPMENT)
# A member of staff's first set-up needs more than the password outside development: a
# single-use link sent to their email address (or issued by an administrator), good for
# 30 minutes. The secret shown at set-up is fresh for each attempt, held in that session
# only, and lapses after 10 minutes.
TWO_FACTOR_ENROLMENT_LINK = env_bool("TWO_FACTOR_ENROLMENT_LINK", default=not DEVELOPMENT)
TWO_FACTOR_ENROLMENT_LINK_LIFETIME = timedelta(minutes=30)
TWO_FACTOR_SETUP_SECRET_LIFETIME = timedelta(minutes=10)
# An invitation to join the service (people/) is a single-use link that lapses after this many days.
INVITATION_LIFETIME = timedelta(days=env_int("INVITATION_LIFETIME_DAYS", 7, minimum=1))
OTP_TOTP_ISSUER = "Manage innovation grants"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# The API (api/): requests each token may make, as "<count>/<second|minute|hour|day>". 120 a minute lets a
# ledger feed page through 24,000 rows a minute (200 a page) yet keeps one runaway script from taking the
# service's workers from everyone else. Counted per token in the cache (Redis in production).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/minute").strip()
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT must be like 120/minute (second, minute, hour or day); got {API_RATE_LIMIT!r}"
    )
# How far ahead a token's expiry may be set: a forgotten token stops working within a year at most.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)

# Single sign-on (accounts/oidc.py, mozilla-django-oidc): off unless configured. With it, the sign-in page
# offers "Sign in with ..." through the organisation's OpenID Connect provider (DfE staff through Microsoft
# Entra ID): a verified email address signs in the one existing user that has it, with the role the service
# gave; nobody is created, and funder staff still give the service's second step. The provider is named by
# its discovery document (OIDC_OP_DISCOVERY) or by its four endpoints; half a configuration stops start-up.
_OIDC_ENDPOINTS = (
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)
_oidc = {
    name: os.environ.get(name, "").strip()
    for name in ("OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET", "OIDC_OP_DISCOVERY", *_OIDC_ENDPOINTS)
}
OIDC_ENABLED = any(_oidc.values())
OIDC_RP_CLIENT_ID = _oidc["OIDC_RP_CLIENT_ID"]
OIDC_RP_CLIENT_SECRET = _oidc["OIDC_RP_CLIENT_SECRET"]
OIDC_OP_DISCOVERY = _oidc["OIDC_OP_DISCOVERY"]
OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, OIDC_OP_JWKS_ENDPOINT = (
    _oidc[name] for name in _OIDC_ENDPOINTS
)
OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL", "").strip() or "Sign in with your organisation's account"
if OIDC_ENABLED:
    _oidc_missing = [name for name in ("OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET") if not _oidc[name]]
    if OIDC_OP_DISCOVERY and any(_oidc[name] for name in _OIDC_ENDPOINTS):
        raise ImproperlyConfigured(
            "Single sign-on: set OIDC_OP_DISCOVERY or the provider's endpoints (OIDC_OP_*_ENDPOINT), not both"
        )
    if not OIDC_OP_DISCOVERY:
        _oidc_missing += [name for name in _OIDC_ENDPOINTS if not _oidc[name]]
    if _oidc_missing:
        raise ImproperlyConfigured(
            f"Single sign-on is half set up: {', '.join(_oidc_missing)} must be set too "
            "(or OIDC_OP_DISCOVERY in place of the endpoints), or no OIDC_ setting at all to turn it off"
        )
    for _name in ("OIDC_OP_DISCOVERY", *_OIDC_ENDPOINTS):
        # Plain http only to a provider on this machine, in development (the tests' loopback provider).
        _url = urlsplit(_oidc[_name])
        if _oidc[_name] and not (
            (_url.scheme == "https" and _url.hostname)
            or (DEVELOPMENT and _url.scheme == "http" and _url.hostname in ("localhost", "127.0.0.1"))
        ):
            raise ImproperlyConfigured(f"{_name} must be an https:// address; got {_oidc[_name]!r}")
    AUTHENTICATION_BACKENDS.append("accounts.oidc.OrganisationAccountBackend")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso-callback"
AXES_WHITELIST_CALLABLE = "accounts.oidc.not_a_password_guess"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# GOV.UK Frontend's compiled CSS asks for its fonts and images at /assets/, so
# static files are served from there; the npm package's assets sit at the root.
STATIC_URL = "/assets/"
STATIC_ROOT = BASE_DIR / "staticfiles"
_GOVUK_DIST = BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("govuk", _GOVUK_DIST),
    _GOVUK_DIST / "assets",
]

# Uploaded evidence, import files and made downloads go through Django's storage API: on this
# machine's disk by default (DJANGO_PRIVATE_FILES), or, with AWS_STORAGE_BUCKET_NAME, in S3-compatible
# object storage that every application instance and worker shares. Keys come from AWS_ACCESS_KEY_ID
# and AWS_SECRET_ACCESS_KEY, or, with neither set, from the machine's own role as boto3 finds it.
# Either way the files are private: objects take the bucket's own private default (no ACL is ever
# asked for, and the bucket should block public access), no page links to the storage, and files go
# to users only through views that check who is asking (audit.downloads.stored_file).
_bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
_s3_endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "").strip()
_s3_region = os.environ.get("AWS_S3_REGION_NAME", "").strip()
if not _bucket and (_s3_endpoint or _s3_region):
    raise ImproperlyConfigured(
        "AWS_S3_ENDPOINT_URL and AWS_S3_REGION_NAME need AWS_STORAGE_BUCKET_NAME, the bucket that holds the files"
    )
if _bucket and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", _bucket):
    raise ImproperlyConfigured(
        "AWS_STORAGE_BUCKET_NAME must be a bucket's name: 3 to 63 lower-case letters, digits, dots and hyphens"
    )
if _bucket and os.environ.get("DJANGO_PRIVATE_FILES"):
    raise ImproperlyConfigured(
        "Set AWS_STORAGE_BUCKET_NAME or DJANGO_PRIVATE_FILES, not both: the files are kept in one place"
    )
if _bucket and bool(os.environ.get("AWS_ACCESS_KEY_ID")) != bool(os.environ.get("AWS_SECRET_ACCESS_KEY")):
    raise ImproperlyConfigured(
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both, or neither to use the machine's role"
    )
if _s3_endpoint:
    try:
        _endpoint = urlsplit(_s3_endpoint)
        # .port raises ValueError for a port that is not a number from 1 to 65535.
        _endpoint_valid = (
            _endpoint.scheme in ("http", "https")
            and bool(_endpoint.hostname)
            and _endpoint.path in ("", "/")
            and _endpoint.port != 0
        )
    except ValueError:
        _endpoint_valid = False
    if not _endpoint_valid:
        raise ImproperlyConfigured(
            "AWS_S3_ENDPOINT_URL must be the storage service's address, such as https://s3.example.com "
            "(the bucket goes in AWS_STORAGE_BUCKET_NAME)"
        )

# Outside development, collectstatic writes compressed copies with content hashes
# in their names, which WhiteNoise serves with far-future cache headers.
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _bucket,
                "endpoint_url": _s3_endpoint or None,
                "region_name": _s3_region or None,
                "default_acl": None,
                # Stored names are random; should two ever meet, the second gets a new name.
                "file_overwrite": False,
                # Were an address ever made, it would be signed and short-lived; none is handed out.
                "querystring_auth": True,
                # A file read back past 2 MB waits on disk rather than in the worker's memory.
                "max_memory_size": 2 * 1024 * 1024,
            },
        }
        if _bucket
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEVELOPMENT
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded evidence and reports live outside the web root and are only ever
# served through views that check who is asking.
MEDIA_ROOT = Path(os.environ.get("DJANGO_PRIVATE_FILES", BASE_DIR / "private-files"))
# Never routed: files are only served by views that check who is asking.
MEDIA_URL = "/private-files/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)

# The audit history of money and status is a record, not an undo button: money
# moves only through grants/services.py, so the admin may not revert to an old copy.
SIMPLE_HISTORY_REVERT_DISABLED = True

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Outside development the service is reached over HTTPS (behind a proxy that ends TLS).
# DJANGO_HTTPS=0 is only for a production-style server on loopback, such as the load
# test: cookies are then sent over plain HTTP, so never set it on a real network.
HTTPS = env_bool("DJANGO_HTTPS", default=True)
if not DEVELOPMENT:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS
    if HTTPS:
        SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = True
# Behind a proxy (nginx in `make serve`, deploy/nginx.conf) every request comes from the proxy, which
# adds the address it was reached from to X-Forwarded-For. DJANGO_PROXY_COUNT says how many proxies in
# front do so (1: nginx alone; 2: a load balancer, then nginx), so that lock-out counts failures per
# person, not per proxy (core.http.client_ip_address). 0, the default, ignores the header: a client
# that reaches the application directly could write any address in it.
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip_address"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): this site's own files only, no inline script
# or style (styles live in static/css/app.css, script in static/js/), no plugins and
# no framing. The Django admin needs no exception: its scripts are files that take
# their data from data- attributes. File downloads set a stricter policy of their own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEVELOPMENT
    else os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "noreply@manage-innovation-grants.local")
# The SMTP server the email backend sends through (Django's EMAIL_* settings, named the same here).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost").strip()
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "").strip()
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
# A server that stops answering fails one try (which is retried), never holds a worker for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
if bool(EMAIL_HOST_USER) != bool(EMAIL_HOST_PASSWORD):
    raise ImproperlyConfigured("EMAIL_HOST_USER and EMAIL_HOST_PASSWORD go together: set both, or neither")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS (STARTTLS, usually port 587) or EMAIL_USE_SSL (port 465), not both")

# --- Messages to people (notifications/) ---
# Links in messages are full addresses under SERVICE_URL, the address people reach the service at.
SERVICE_NAME = "Manage innovation grants"
SERVICE_URL = os.environ.get("SERVICE_URL", "http://127.0.0.1:8000").strip().rstrip("/")
if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", SERVICE_URL):
    raise ImproperlyConfigured("SERVICE_URL must be the service's address, such as https://grants.example.gov.uk")
# With NOTIFY_API_KEY messages go through GOV.UK Notify; without it, through the email backend above.
# Notify needs a template: NOTIFY_TEMPLATE_ID, a generic one whose personalisation is ((subject)) and
# ((body)), and optionally one per kind of message, NOTIFY_TEMPLATE_ID_<KIND> (NOTIFY_TEMPLATE_ID_PAYMENT_MADE).
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "").strip()
NOTIFY_BASE_URL = (
    os.environ.get("NOTIFY_BASE_URL", "").strip().rstrip("/") or "https://api.notifications.service.gov.uk"
)
NOTIFY_TEMPLATE_ID = os.environ.get("NOTIFY_TEMPLATE_ID", "").strip()
NOTIFY_TEMPLATE_IDS = {
    name.removeprefix("NOTIFY_TEMPLATE_ID_").lower(): value.strip()
    for name, value in os.environ.items()
    if name.startswith("NOTIFY_TEMPLATE_ID_")
}
_uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
if not NOTIFY_API_KEY and (NOTIFY_TEMPLATE_ID or NOTIFY_TEMPLATE_IDS or os.environ.get("NOTIFY_BASE_URL")):
    raise ImproperlyConfigured("NOTIFY_TEMPLATE_ID and NOTIFY_BASE_URL need NOTIFY_API_KEY, the key GOV.UK Notify gave")
if NOTIFY_API_KEY:
    # A Notify key is its name, then the service id and the secret, each a UUID.
    if not re.fullmatch(rf".+-{_uuid}-{_uuid}", NOTIFY_API_KEY):
        raise ImproperlyConfigured("NOTIFY_API_KEY must be a whole GOV.UK Notify API key: name-serviceid-secret")
    if not NOTIFY_TEMPLATE_ID:
        raise ImproperlyConfigured("NOTIFY_API_KEY needs NOTIFY_TEMPLATE_ID, the template messages are sent with")
    for _name, _template in {"NOTIFY_TEMPLATE_ID": NOTIFY_TEMPLATE_ID, **NOTIFY_TEMPLATE_IDS}.items():
        if not re.fullmatch(_uuid, _template):
            raise ImproperlyConfigured(f"{_name} ({_template!r}) must be a Notify template id, a UUID")
    if not re.fullmatch(r"https?://[^/\s?#]+", NOTIFY_BASE_URL):
        raise ImproperlyConfigured(
            "NOTIFY_BASE_URL must be an address such as https://api.notifications.service.gov.uk"
        )
MESSAGE_BACKEND = "govuk_notify" if NOTIFY_API_KEY else "email"
# A message that cannot be sent is tried this many times in all, waiting MESSAGE_RETRY_SECONDS before
# the second try and five times longer before each one after, then shown as failed on /messages/.
MESSAGE_ATTEMPTS = env_int("MESSAGE_ATTEMPTS", 3, minimum=1)
MESSAGE_RETRY_SECONDS = env_int("MESSAGE_RETRY_SECONDS", 60, minimum=0)
# `manage.py send_reminders` (reminders/): a quarter's spend return is due this many days after the
# quarter ends; its recipients are reminded 14 and 3 days before, and once when it is overdue.
SPEND_RETURN_DUE_DAYS = env_int("SPEND_RETURN_DUE_DAYS", 30, minimum=1)
# An overdue reminder goes only for a deadline missed in the last this many days. Older ones are on the
# dashboard and the officers' lists; without the limit, turning reminders on for a programme under way
# would send councils one message for every deadline missed in years past.
REMINDER_OVERDUE_DAYS = env_int("REMINDER_OVERDUE_DAYS", 28, minimum=1)

# The 360Giving identifier prefix this funder registered with 360Giving.
THREESIXTYGIVING_PREFIX = os.environ.get("THREESIXTYGIVING_PREFIX", "MIG")

# --- Who runs the service (templates/pages/: the header, privacy notice, accessibility statement) ---
# The funder is the data controller named in the privacy notice and the owner shown in the header;
# the contact address answers privacy requests and accessibility problems; the phase banner's
# feedback link goes to FEEDBACK_URL (a mailto: to that address unless a survey is given).
SERVICE_OWNER = os.environ.get("SERVICE_OWNER", "Department for Education").strip()
SERVICE_CONTACT_EMAIL = os.environ.get("SERVICE_CONTACT_EMAIL", "innovation.programme@education.gov.uk").strip()
if not SERVICE_OWNER:
    raise ImproperlyConfigured("SERVICE_OWNER must name the organisation that runs the service")
if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", SERVICE_CONTACT_EMAIL):
    raise ImproperlyConfigured("SERVICE_CONTACT_EMAIL must be an email address, such as team@example.gov.uk")
FEEDBACK_URL = os.environ.get("FEEDBACK_URL", "").strip() or (
    f"mailto:{SERVICE_CONTACT_EMAIL}?subject=Feedback%20on%20Manage%20innovation%20grants"
)
if not FEEDBACK_URL.startswith(("https://", "mailto:")):
    raise ImproperlyConfigured("FEEDBACK_URL must be an https:// address or a mailto: link")

DJANGO_TABLES2_TEMPLATE = "tables/govuk_table.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every step of a PDF at INFO; only their warnings matter.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}

# --- Spending report (reports/) ---
# A row of the spending report, or a grant on the dashboard's forecast outturn, is
# flagged as underspending when allocated - spent - forecast is more than this
# percentage of what was allocated.
UNDERSPEND_THRESHOLD_PERCENT = env_int("UNDERSPEND_THRESHOLD_PERCENT", 10)
# ... and as overspending when spent + forecast passes allocated by more than this
# percentage (0: any overspend is flagged).
OVERSPEND_THRESHOLD_PERCENT = env_int("OVERSPEND_THRESHOLD_PERCENT", 0)
# A variation of an award or allocation that changes it by more than this many
# pounds applies only once a second programme officer approves it.
VARIATION_APPROVAL_THRESHOLD = env_int("VARIATION_APPROVAL_THRESHOLD", 100000)

# --- Background downloads (downloads/) ---
# A ledger (or the spending report's Excel, counting its ledger's lines) longer than this is made
# by the worker (`manage.py worker`, started by `make run` and `make serve`) instead of inside the request.
EXPORT_IN_REQUEST_ROWS = {
    "csv": env_int("EXPORT_IN_REQUEST_ROWS_CSV", 100_000, minimum=0),
    "xlsx": env_int("EXPORT_IN_REQUEST_ROWS_XLSX", 20_000, minimum=0),
    # The board pack PDF: the projects it covers; the spending report's PDF: the rows of its grouping;
    # the impact report's PDF: its results (its Excel file goes by the "xlsx" limit, counting results).
    "pdf": env_int("EXPORT_IN_REQUEST_ROWS_PDF", 2_000, minimum=0),
}
# A worker holds a job for this many seconds and renews the hold as it works; a job whose hold
# runs out (its worker died) is started again by another worker, at most EXPORT_JOB_ATTEMPTS
# times in all, then shown to its user as failed.
EXPORT_JOB_LEASE_SECONDS = env_int("EXPORT_JOB_LEASE_SECONDS", 60, minimum=1)
EXPORT_JOB_ATTEMPTS = env_int("EXPORT_JOB_ATTEMPTS", 3, minimum=1)
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Running the service: health, backups and scheduled work (core/health.py, core/management/) ---
# /health/ reports the background worker down when no worker has beaten for this many seconds.
HEALTH_WORKER_SEEN_WITHIN = env_int("HEALTH_WORKER_SEEN_WITHIN", 120, minimum=1)
# A load balancer or monitor asks an instance for /health/ over plain HTTP on its own address.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# `manage.py run_scheduled` removes the stored file of an import this many days after it was applied
# or cancelled (the batch's record stays), and finished or failed downloads this many days after
# they finished (the job and its file).
IMPORT_FILES_KEPT_DAYS = env_int("IMPORT_FILES_KEPT_DAYS", 90, minimum=1)
EXPORT_JOBS_KEPT_DAYS = env_int("EXPORT_JOBS_KEPT_DAYS", 7, minimum=1)
