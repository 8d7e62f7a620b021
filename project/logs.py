"""LOG_FORMAT=json: one JSON object per line (time, level, logger,
message, and the traceback when there is one), for log collectors.

What the site logs never holds a message body or a frame: socket log
lines name the user id and the path (realtime.sockets.describe), request
lines the method and path, outages the error (tests/security/test_logs.py
sends a body and looks for it in the log).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def json_logging(config: dict) -> dict:
    """Django's LOGGING `config` with every line as JSON, uvicorn's too
    (uvicorn sets its loggers up before Django; this runs after)."""
    config = {**config, "formatters": {"json": {"()": JsonFormatter}}}
    config["handlers"] = {
        name: {**handler, "formatter": "json"}
        for name, handler in config["handlers"].items()
    }
    loggers = dict(config.get("loggers", {}))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        loggers[name] = {"handlers": list(config["handlers"]), "propagate": False}
    config["loggers"] = loggers
    return config
