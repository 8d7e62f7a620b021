"""Settings for the test suite: the real settings, with fast hashing and a
file-backed SQLite test database that server subprocesses can open too."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-real-deployment")

from project.settings import *  # noqa: F403
from project.settings import BASE_DIR, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # One file per test run (server subprocesses open it by DATABASE_URL), so
    # two runs on one machine never share or delete each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Likewise on PostgreSQL: two runs at once (CI beside a developer) each
    # get a test database of their own.
    DATABASES["default"]["TEST"] = {"NAME": f"test_chat_{os.getpid()}"}

# The suite's sockets send Origin http://localhost (tests/helpers/sockets.py)
# to servers on 127.0.0.1:<port>: trusted here, as a deployment would list
# another origin of its own (project.origins).
CSRF_TRUSTED_ORIGINS = ["http://localhost"]
