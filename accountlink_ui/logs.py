"""Log lines: every record carries the request id; ``ACCOUNTLINK_LOG_FORMAT=json`` writes
the app's records as one JSON object per line for a log collector."""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime

from accountlink_ui.request_ids import current_request_id

APP_LOGGER = "accountlink_ui"
_lock = threading.Lock()
_configured: str | None = None


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or None) on the record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
            "thread": record.threadName,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(log_format: str) -> None:
    """JSON: the app's loggers write JSON lines to stderr at INFO and above (their own
    handler, so Reflex's and uvicorn's console output is left as it is). Idempotent."""
    global _configured
    with _lock:
        if _configured == log_format or log_format != "json":
            return
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        logger = logging.getLogger(APP_LOGGER)
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.propagate = False
        _configured = log_format
