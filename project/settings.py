"""Settings for the chat site, driven by the environment variables of PROTOCOL.md.

Every variable has a default that works on a developer's machine; production
only has to set SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from realtime import redis_options

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, got {value!r}."
        ) from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.05 <= number <= 3600:  # also refuses nan and inf
        raise ImproperlyConfigured(
            f"{name} must be a number of seconds from 0.05 to 3600, got {value!r}."
        )
    return number


def env_list(name: str, default: str) -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: with DEBUG off, set the SECRET_KEY environment "
            "variable to a long random string (or set DEBUG=1 for development)."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "ninja",
    "accounts",
    "chat",
    "presence",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "project.urls"

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
            ],
        },
    },
]

ASGI_APPLICATION = "project.asgi.application"

# --- Database -------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Persistent connections, checked before reuse: reconnecting for every ORM
# call cost a new PostgreSQL backend (about 4 ms) per message (bench/).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer, IMMEDIATE takes the write lock
    # at BEGIN (so two processes queue on the busy timeout instead of failing
    # with "database is locked" on lock upgrade), and the timeout is how long
    # a writer waits for the lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: one URL, or Sentinels, for the channel layer and presence -----

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# PROTOCOL.md 1.1: with Sentinels set, REDIS_URL is not used; every Redis
# user follows the master they name (timeouts, retries: realtime.redis_options).
try:
    REDIS_SENTINELS = redis_options.parse_sentinels(
        os.environ.get("REDIS_SENTINELS", "")
    )
    REDIS_SENTINEL_MASTER = redis_options.check_master_name(
        os.environ.get("REDIS_SENTINEL_MASTER", "mymaster")
    )
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None

# The pub/sub layer keeps a socket subscribed for as long as it is open (no
# group expiry) and never drops a message for a full queue; see README.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": redis_options.layer_hosts(
                REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTER
            ),
            "prefix": "chat",
        },
    }
}

# realtime.canary: every process checks its own pub/sub path this often, and
# counts a message not back within the timeout as a miss (/healthz 503).
PUBSUB_CANARY_INTERVAL = env_float("PUBSUB_CANARY_INTERVAL", 2.0)
PUBSUB_CANARY_TIMEOUT = env_float("PUBSUB_CANARY_TIMEOUT", 3.0)

PRESENCE_TTL = env_int("PRESENCE_TTL", 30)
PRESENCE_HEARTBEAT = env_int("PRESENCE_HEARTBEAT", 10)
CHAT_RATE_LIMIT = os.environ.get("CHAT_RATE_LIMIT", "20/10")
# Private rooms others may add one user to, "N/S": at most N in any S
# seconds (chat.invites).
CHAT_INVITE_LIMIT = os.environ.get("CHAT_INVITE_LIMIT", "20/3600")
# Events that may wait for one socket before it is closed with 1013
# (project/relay.py).
CHAT_SOCKET_BACKLOG = env_int("CHAT_SOCKET_BACKLOG", 1000)
# Live sockets one user may hold across all processes (PROTOCOL.md 1.1);
# the next one is refused with 4429 (realtime.socketcap).
CHAT_MAX_SOCKETS_PER_USER = env_int("CHAT_MAX_SOCKETS_PER_USER", 50)

# --- Accounts ---------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# "none", "optional" or "mandatory"; optional lets people in before they click
# the link, which suits a chat you try out.
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_USERNAME_MIN_LENGTH = 2
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "chat@localhost")

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
# WhiteNoise warns about a missing STATIC_ROOT; a checkout that has not run
# collectstatic yet serves through the finders below, so an empty one will do.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app and project folders as well, so a checkout works
# without collectstatic; collectstatic (README, deploy) adds compressed copies.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security -----------------------------------------------------------------

# Behind a TLS-terminating proxy set HTTPS=1: secure cookies, HSTS, redirects.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"level": "INFO", "propagate": True}},
}

# --- Languages and the browser client -----------------------------------------

# English and Russian: the browser's Accept-Language decides, the language
# switcher (django.views.i18n.set_language) overrides it with a cookie.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
    "django.middleware.locale.LocaleMiddleware",
)
# Server WebSocket pings (uvicorn, devserver/serve.py): a client whose network
# vanished without a close is dropped after at most interval + timeout
# seconds (16 by default), and its presence leaves with it, well within the
# 20 s a person expects to see someone go.
WS_PING_INTERVAL = env_int("WS_PING_INTERVAL", 8)
WS_PING_TIMEOUT = env_int("WS_PING_TIMEOUT", 8)
# Form fields with their errors below them (project/renderers.py); the
# renderer reads templates through TEMPLATES, so Django's own widget
# templates come from the django.forms app.
INSTALLED_APPS.append("django.forms")
FORM_RENDERER = "project.renderers.FormRenderer"

# --- Hardening (README, Security): limits, each counted across processes ----

# New rooms one user may create: at most N in any S seconds (staff: no limit).
CHAT_ROOM_CREATE_LIMIT = os.environ.get("CHAT_ROOM_CREATE_LIMIT", "10/3600")
# Per socket (realtime.throttle): `ping` frames beyond N in S seconds and
# `typing` frames closer than the interval are dropped; history requests
# draw rows from a bucket of N rows refilled in S seconds (past it they wait).
CHAT_PING_LIMIT = os.environ.get("CHAT_PING_LIMIT", "10/10")
CHAT_TYPING_INTERVAL = env_float("CHAT_TYPING_INTERVAL", 1.0)
CHAT_HISTORY_BUDGET = os.environ.get("CHAT_HISTORY_BUDGET", "1000/5")
# Content-Security-Policy, Permissions-Policy and no-store (project.headers;
# after WhiteNoise, so static files keep their caching headers).
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "project.headers.security_headers",
)
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
# Addresses or networks of our own reverse proxies; only their
# X-Forwarded-For / X-Forwarded-Proto count (project.proxies). Default: none.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
# allauth's rate-limit counters in Redis, shared by every process
# (project.cache); its per-account login limit counted per account and
# client address, so nobody can lock another user out (accounts.adapters).
CACHES = {
    "default": {
        "BACKEND": "project.cache.SiteRedisCache",
        "LOCATION": "redis://site-redis-settings",  # the real one: REDIS_URL
        "KEY_PREFIX": "cache",
    }
}
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset,
# it answers nobody (project.monitoring).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# LOG_FORMAT=json: every log line (Django's, ours, uvicorn's) as one JSON
# object (project.logs); never with a message body.
if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json":
    from project.logs import json_logging

    LOGGING = json_logging(LOGGING)
