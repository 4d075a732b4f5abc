"""Settings of the Go3s Community Portal.

Everything that differs between a laptop and production comes from the environment through
`portal.env.Env`, which refuses to start on a bad value. The defaults are the embedded ones a newcomer
gets: SQLite and a file-system Celery broker under `var/`, so nothing but Python is needed.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.api_tags import API_TAGS
from portal.env import Env
from portal.object_storage import default_storage_backend

# Lets generic classes like ModelSerializer[Model] be subscripted at run time (for type checking).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

DEBUG = env.flag("DEBUG", False)
SECRET_KEY = env.secret(
    "SECRET_KEY",
    debug_default="django-insecure-go3s-development-key-never-used-in-production",
    debug=DEBUG,
    min_length=50,
)
ALLOWED_HOSTS = env.csv("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.csv("CSRF_TRUSTED_ORIGINS", [])

# Where the embedded defaults keep their files: the SQLite database, broker messages, media.
DATA_DIR = Path(env.text("PORTAL_DATA_DIR", str(BASE_DIR / "var"))).resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "accounts",
    "notebooks",
    "governance",
    "curation",
    "toolchain",
    "courses",
    "guide",
    "oauth2_provider",
    "labs",
    "lti",
    "portal",
    # After the portal's apps, so that their templates (accounts/templates/allauth/…) restyle allauth's pages.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "portal.middleware.RequestBoundsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.ApiPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env.url("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal.sqlite3'}", schemes=("sqlite", "postgres", "postgresql"))
_database = dj_database_url.parse(DATABASE_URL, conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, min_value=0))
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker share the file: WAL lets readers run beside one writer, IMMEDIATE
    # transactions take the write lock up front instead of failing half-way with "database is locked".
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not :memory:) so that a real worker process can see what a test wrote.
    _database["TEST"] = {"NAME": str(DATA_DIR / "test-portal.sqlite3")}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Logs in the person a GitHub or university sign-in identified (django-allauth); passwords stay ModelBackend's.
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my_work"
LOGOUT_REDIRECT_URL = "home"

# Brute-force protection: a username tried from one address is locked for a while after a few failures,
# on the login page, the admin and the token endpoint alike (they all go through authenticate()).
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5, min_value=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("AXES_COOLOFF_MINUTES", 15, min_value=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.integer("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 3, min_value=1)
PASSWORD_RESET_PER_CLIENT_PER_HOUR = env.integer("PASSWORD_RESET_PER_CLIENT_PER_HOUR", 10, min_value=1)

# Sign-in with GitHub and with universities' OpenID Connect providers (django-allauth's social accounts; the
# portal's own login page stays the local sign-in). A university is a SocialApp added in the admin; GitHub's OAuth
# app comes from the environment. An identity whose e-mail belongs to an existing account is never logged into it:
# the person signs in to that account and confirms the link (accounts.social_adapter).
GITHUB_OAUTH = env.pair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {
    "github": {"SCOPE": ["read:user", "user:email"]},
    "openid_connect": {"OAUTH_PKCE_ENABLED": True},
}
if GITHUB_OAUTH is not None:
    SOCIALACCOUNT_PROVIDERS["github"]["APPS"] = [{"client_id": GITHUB_OAUTH[0], "secret": GITHUB_OAUTH[1]}]
SOCIALACCOUNT_ADAPTER = "accounts.social_adapter.PortalSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.text("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Browser libraries installed from the npm registry by bin/up and bin/test (package.json), served by the
# portal itself: nothing is fetched from a CDN at page load.
STATICFILES_DIRS = [("vendor/mermaid", BASE_DIR / "node_modules" / "mermaid" / "dist")]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Run outputs, evaluation packages, evidence and uploads: the file system under PORTAL_DATA_DIR (embedded), or an
# S3-compatible bucket (S3, MinIO, …) when AWS_STORAGE_BUCKET_NAME is set, which runners on other machines share
# with the web process. Nothing is served from the bucket directly: downloads stream through the portal, which
# checks permissions and sets each file's headers (the run output's CSP). Any URL the storage signs expires soon.
OBJECT_STORAGE = env.object_storage()
STORAGES = {
    "default": default_storage_backend(
        OBJECT_STORAGE, querystring_expire=env.integer("AWS_QUERYSTRING_EXPIRE", 300, min_value=10, max_value=3600)
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, min_value=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.token_auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "portal.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "accounts.pagination.ListPage",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
    # Request bodies are JSON; a view that takes a file adds MultiPartParser itself (and declares only that).
    "DEFAULT_PARSER_CLASSES": ["accounts.json_input.BoundedJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_VERSION = "2.0.0"
SPECTACULAR_SETTINGS = {
    "TITLE": "Go3s Community Portal API",
    "DESCRIPTION": "Audits, curation, model health and sponsorship, courses and notebook runs.",
    # The contract's version (semantic): a change that breaks a client generated from the schema is a new
    # major version, stated in README.md's "API versions"; tests/portal/test_api_contract.py holds it to v2.yaml.
    "VERSION": API_VERSION,
    "SERVERS": [{"url": "/", "description": "The portal that serves this schema (paths are relative to its host)."}],
    "DEFAULT_GENERATOR_CLASS": "portal.schema.SchemaGenerator",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [{"name": name, "description": description} for name, description in API_TAGS],
    # cpu/gpu is one choice set, whether it names a runner queue or a notebook's accelerator.
    "ENUM_NAME_OVERRIDES": {
        "ComputeEnum": "notebooks.models.Run.Queue",
        "NotebookKindEnum": "notebooks.models.Notebook.Kind",
        "PiiFlagKindEnum": "curation.models.PiiFlag.Kind",
        "AuditKindEnum": "governance.models.audits.Audit.Kind",
        "AuditStatusEnum": "governance.models.audits.Audit.Status",
        "RunStatusEnum": "notebooks.models.Run.Status",
        "QuarterStatusEnum": "governance.models.sponsorship.Quarter.Status",
        "EvaluationStatusEnum": "governance.models.health.Evaluation.Status",
        "RoleApplicationStatusEnum": "accounts.models.RoleApplication.Status",
        "ErrorCodeEnum": "accounts.errors.ERROR_CODES",
    },
}

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", "filesystem://", schemes=("filesystem", "redis", "rediss", "amqp"))
BROKER_IS_EMBEDDED = CELERY_BROKER_URL.startswith("filesystem://")
if BROKER_IS_EMBEDDED:
    # One folder is the broker: processes that share it (on one machine) share the queues.
    _broker_dir = Path(env.text("CELERY_BROKER_DIR", str(DATA_DIR / "broker"))).resolve()
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "messages"),
        "data_folder_out": str(_broker_dir / "messages"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu polls the folder; its 1 s default would put a second on every task.
        "polling_interval": 0.02,
    }
    _default_result_backend = f"file://{DATA_DIR / 'celery-results'}"
    # Created when the portal app is ready (portal.apps), not when the settings are read.
    EMBEDDED_BROKER_FOLDERS = [_broker_dir / "messages", _broker_dir / "control", DATA_DIR / "celery-results"]
else:
    # Redis delivers a message again when it is not acknowledged within this many seconds; a run's
    # message is acknowledged when the run ends (late acks), so every run must end well before (checked below).
    CELERY_VISIBILITY_TIMEOUT = env.integer("CELERY_VISIBILITY_TIMEOUT", 7200, min_value=60)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
    _default_result_backend = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "rpc://"
    EMBEDDED_BROKER_FOLDERS = []
CELERY_RESULT_BACKEND = env.text("CELERY_RESULT_BACKEND", _default_result_backend)
CELERY_RESULT_EXPIRES = timedelta(hours=env.integer("CELERY_RESULT_EXPIRES_HOURS", 6, min_value=1))
CELERY_TASK_ALWAYS_EAGER = env.flag("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# A submit must not hang when the broker is down: a few quick retries, then the API answers 503.
CELERY_BROKER_CONNECTION_TIMEOUT = env.number("CELERY_BROKER_CONNECTION_TIMEOUT", 3.0, min_value=0.1)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}

# --- Notebook runs ---------------------------------------------------------------------------------
NOTEBOOK_CATALOGUE_DIR = Path(env.text("NOTEBOOK_CATALOGUE_DIR", str(BASE_DIR / "catalogue")))
NOTEBOOK_SCRATCH_DIR = Path(env.text("NOTEBOOK_SCRATCH_DIR", str(DATA_DIR / "scratch")))
# Folders on the runner's own disk, outside the catalogue, that a run may read, linked into its scratch root by
# name (read-only in the sandbox). None by default: what a run reads besides the catalogue comes from the
# storage (notebooks.contract.run_inputs), so a runner needs no folder shared with the web process.
NOTEBOOK_SHARED_DIRS: dict[str, Path] = {}
# Kernels run inside bubblewrap (notebooks/engine/sandbox.py). Without a working sandbox the runner refuses
# to start kernels outside DEBUG unless NOTEBOOK_ALLOW_UNSANDBOXED is set; the kernel runs as this uid.
NOTEBOOK_SANDBOX = env.flag("NOTEBOOK_SANDBOX", True)
NOTEBOOK_ALLOW_UNSANDBOXED = env.flag("NOTEBOOK_ALLOW_UNSANDBOXED", False)
NOTEBOOK_SANDBOX_UID = env.integer("NOTEBOOK_SANDBOX_UID", 65534, min_value=1)
# Keep each run's working directory (what the notebook wrote) instead of removing it: for debugging.
NOTEBOOK_KEEP_SCRATCH = env.flag("NOTEBOOK_KEEP_SCRATCH", False)
NOTEBOOK_KERNEL_NAME = env.text("NOTEBOOK_KERNEL_NAME", "go3s-factory")
# Kernels started ahead per runner process; each serves one run and is discarded.
NOTEBOOK_KERNEL_POOL_SIZE = env.integer("NOTEBOOK_KERNEL_POOL_SIZE", 1, min_value=0, max_value=8)
NOTEBOOK_KERNEL_PREIMPORTS = env.csv("NOTEBOOK_KERNEL_PREIMPORTS", ["numpy"])
# Threads per kernel for BLAS/OpenMP/torch (0: the libraries' defaults). Set it when a runner's
# concurrency times this exceeds its cores, so kernels do not fight over them.
NOTEBOOK_KERNEL_THREADS = env.integer("NOTEBOOK_KERNEL_THREADS", 0, min_value=0, max_value=256)
NOTEBOOK_DEFAULT_TIMEOUT = env.integer("NOTEBOOK_DEFAULT_TIMEOUT", 900, min_value=10)
NOTEBOOK_MAX_TIMEOUT = env.integer("NOTEBOOK_MAX_TIMEOUT", 3600, min_value=10)
# A run's task is killed NOTEBOOK_TASK_GRACE_SECONDS after its timeout (notebooks.services.run_dispatch), so the
# longest a run's message stays unacknowledged is NOTEBOOK_MAX_TIMEOUT plus that grace. On a broker that
# redelivers unacknowledged messages (Redis) that must stay below the visibility timeout, or the message of a
# run still running is delivered again (another runner then skips it, the run being claimed; the test
# tests/integration/test_redelivery.py shows it runs once).
NOTEBOOK_TASK_GRACE_SECONDS = 120
if CELERY_BROKER_URL.startswith("redis") and NOTEBOOK_MAX_TIMEOUT + NOTEBOOK_TASK_GRACE_SECONDS >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        f"Environment variable CELERY_VISIBILITY_TIMEOUT={CELERY_VISIBILITY_TIMEOUT} is too short for "
        f"NOTEBOOK_MAX_TIMEOUT={NOTEBOOK_MAX_TIMEOUT}: the broker would deliver a run's message again while it "
        f"still runs. Raise it above {NOTEBOOK_MAX_TIMEOUT + NOTEBOOK_TASK_GRACE_SECONDS} "
        f"(NOTEBOOK_MAX_TIMEOUT + {NOTEBOOK_TASK_GRACE_SECONDS} s) or lower NOTEBOOK_MAX_TIMEOUT."
    )
NOTEBOOK_DEFAULT_MEMORY_MB = env.integer("NOTEBOOK_DEFAULT_MEMORY_MB", 4096, min_value=256)
NOTEBOOK_MAX_MEMORY_MB = env.integer("NOTEBOOK_MAX_MEMORY_MB", 16384, min_value=256)
# A hard virtual-memory ceiling on CPU kernels; GPU runners turn it off (CUDA reserves huge address space).
# What a student (someone whose only role is student) may ask a run for, under the portal maxima above.
NOTEBOOK_STUDENT_MAX_TIMEOUT = env.integer("NOTEBOOK_STUDENT_MAX_TIMEOUT", 900, min_value=10)
NOTEBOOK_STUDENT_MAX_MEMORY_MB = env.integer("NOTEBOOK_STUDENT_MAX_MEMORY_MB", 4096, min_value=256)
NOTEBOOK_ADDRESS_SPACE_LIMIT = env.flag("NOTEBOOK_ADDRESS_SPACE_LIMIT", True)
NOTEBOOK_CELL_OUTPUT_CAP = env.integer("NOTEBOOK_CELL_OUTPUT_CAP", 1024 * 1024, min_value=1024)
NOTEBOOK_RUN_OUTPUT_CAP = env.integer("NOTEBOOK_RUN_OUTPUT_CAP", 8 * 1024 * 1024, min_value=1024)
NOTEBOOK_UPLOAD_MAX_BYTES = env.integer("NOTEBOOK_UPLOAD_MAX_BYTES", 5 * 1024 * 1024, min_value=1024)
# Runner time someone whose only role is student may use in any seven days (0: no budget), and the
# runs of one course in service at once (0: no cap). Waiting runs are served fairly between courses
# and people (notebooks/fair_queue.py).
NOTEBOOK_STUDENT_WEEKLY_RUNNER_MINUTES = env.integer("NOTEBOOK_STUDENT_WEEKLY_RUNNER_MINUTES", 600, min_value=0)
NOTEBOOK_COURSE_MAX_RUNS_AT_ONCE = env.integer("NOTEBOOK_COURSE_MAX_RUNS_AT_ONCE", 0, min_value=0)
NOTEBOOK_MAX_ACTIVE_RUNS_PER_USER = env.integer("NOTEBOOK_MAX_ACTIVE_RUNS_PER_USER", 5, min_value=1)
NOTEBOOK_RUN_HEARTBEAT_TIMEOUT = env.integer("NOTEBOOK_RUN_HEARTBEAT_TIMEOUT", 45, min_value=2)
NOTEBOOK_RUNNER_HEARTBEAT_SECONDS = env.integer("NOTEBOOK_RUNNER_HEARTBEAT_SECONDS", 10, min_value=1)
# --- Courses ---------------------------------------------------------------------------------------
COURSES_CSV_MAX_BYTES = env.integer("COURSES_CSV_MAX_BYTES", 512 * 1024, min_value=1024)

# --- LMS launches (LTI 1.3) -------------------------------------------------------------------------
# A score the LMS does not accept is retried after 1, 2, 4, … times this many seconds (at most an hour apart),
# up to this many attempts; then it stays "failed" on the course's LMS page.
LTI_GRADE_RETRY_BASE_SECONDS = env.integer("LTI_GRADE_RETRY_BASE_SECONDS", 30, min_value=1)
LTI_GRADE_MAX_ATTEMPTS = env.integer("LTI_GRADE_MAX_ATTEMPTS", 12, min_value=1)

# --- Curation -------------------------------------------------------------------------------------
# An import of items and annotations (CSV or JSON Lines): larger uploads are refused with 413.
CURATION_UPLOAD_MAX_BYTES = env.integer("CURATION_UPLOAD_MAX_BYTES", 5 * 1024 * 1024, min_value=1024)
CURATION_UPLOAD_MAX_ITEMS = env.integer("CURATION_UPLOAD_MAX_ITEMS", 20_000, min_value=1)
CURATION_ITEM_MAX_CHARS = env.integer("CURATION_ITEM_MAX_CHARS", 10_000, min_value=100)

# --- Toolchain ------------------------------------------------------------------------------------
# A result worse than the median of the previous results on the same runner class by more than this is a regression.
BENCHMARK_REGRESSION_THRESHOLD_PERCENT = env.number("BENCHMARK_REGRESSION_THRESHOLD_PERCENT", 10.0, min_value=0.1)
BENCHMARK_BASELINE_RESULTS = env.integer("BENCHMARK_BASELINE_RESULTS", 5, min_value=1)
# Fewer earlier results than this on a runner class: no baseline yet, nothing is flagged.
BENCHMARK_BASELINE_MIN_RESULTS = env.integer("BENCHMARK_BASELINE_MIN_RESULTS", 3, min_value=1)

# --- Governance ----------------------------------------------------------------------------------
GOVERNANCE_ONNX_MAX_BYTES = env.integer("GOVERNANCE_ONNX_MAX_BYTES", 50 * 1024 * 1024, min_value=1024)
GOVERNANCE_EVAL_MAX_BYTES = env.integer("GOVERNANCE_EVAL_MAX_BYTES", 20 * 1024 * 1024, min_value=1024)
# What an eval.npz may unpack to, how many samples it may hold, and how far any uploaded archive may be
# compressed (a decompression bomb is refused from the zip directory, before anything is inflated).
GOVERNANCE_EVAL_MAX_UNPACKED_BYTES = env.integer("GOVERNANCE_EVAL_MAX_UNPACKED_BYTES", 128 * 1024 * 1024, min_value=1024)
GOVERNANCE_EVAL_MAX_SAMPLES = env.integer("GOVERNANCE_EVAL_MAX_SAMPLES", 50_000, min_value=1)
GOVERNANCE_ARCHIVE_MAX_RATIO = env.integer("GOVERNANCE_ARCHIVE_MAX_RATIO", 100, min_value=2)
# An uploaded package is parsed in a child process with these limits (0 MiB: in the web process itself).
GOVERNANCE_PACKAGE_CHECK_MEMORY_MB = env.integer("GOVERNANCE_PACKAGE_CHECK_MEMORY_MB", 1536, min_value=0)
GOVERNANCE_PACKAGE_CHECK_CPU_SECONDS = env.integer("GOVERNANCE_PACKAGE_CHECK_CPU_SECONDS", 60, min_value=1)
GOVERNANCE_EVIDENCE_MAX_BYTES = env.integer("GOVERNANCE_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, min_value=1024)
# The portal's Ed25519 signing key for attestations: PEM (PKCS#8) in ATTESTATION_SIGNING_KEY, or a PEM file. Without
# either, a development key is generated on first use in ATTESTATION_SIGNING_KEY_FILE and the public key says so.
ATTESTATION_SIGNING_KEY = env.text("ATTESTATION_SIGNING_KEY", "")
ATTESTATION_SIGNING_KEY_FILE = Path(env.text("ATTESTATION_SIGNING_KEY_FILE", str(DATA_DIR / "attestation-ed25519.pem")))

# --- The Go3s guide -------------------------------------------------------------------------------
GUIDE_CONTENT_DIR = Path(env.text("GUIDE_CONTENT_DIR", str(BASE_DIR / "guide" / "content")))

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env.text(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.text("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, min_value=1, max_value=65535)
EMAIL_HOST_USER = env.text("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Go3s Portal <noreply@localhost>")
# Links in e-mails point here.
PORTAL_BASE_URL = env.text("PORTAL_BASE_URL", "http://localhost:8000")

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env.flag("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env.flag("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, min_value=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env.flag("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Extra origins allowed to frame-embed or be framed (the separate origin of rendered notebooks, later).
EXTRA_FRAME_SRC = env.csv("CSP_FRAME_SRC", [])  # not named CSP_*: django-csp 4 refuses its old setting names
# The Content-Security-Policy of every page (django-csp). No page runs inline script; a view that needs more
# says so with `accounts.csp.csp_replaced` (the run page frames its output, the guide's diagrams and the API
# docs use inline styles), and a view that serves a file with a policy of its own sets the header itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": EXTRA_FRAME_SRC or [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging --------------------------------------------------------------------------------------
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}

if not DEBUG and SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("SECRET_KEY must be set to a real secret when DEBUG is off.")

CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# JupyterHub beside the portal (labs/, hub/): the portal is its OAuth 2 identity provider and calls its REST API
# as the "portal" service. HUB_URL empty: no lab buttons. `manage.py hub_setup` writes both values for bin/up.
HUB_URL = env.text("HUB_URL", "").rstrip("/")
HUB_API_TOKEN = env.text("HUB_API_TOKEN", "")
HUB_API_TIMEOUT = env.number("HUB_API_TIMEOUT", 5.0, min_value=0.1)
HUB_SPAWN_WAIT_SECONDS = env.integer("HUB_SPAWN_WAIT_SECONDS", 60, min_value=1)
OAUTH2_PROVIDER = {
    "SCOPES": {"profile": "Your user name, e-mail address and roles"},
    "DEFAULT_SCOPES": ["profile"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # RFC 9700, the OAuth 2.0 security best current practice, in full (`manage.py check --deploy` holds us to it).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # A Hub reached over plain http only on the embedded setup (and the suite's Hub on localhost).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if env.flag("OAUTH2_HTTP_REDIRECTS", DEBUG) else ["https"],
}
