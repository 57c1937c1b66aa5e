"""Gunicorn settings shared by the three Doc Box web processes.

``gunicorn --config /app/gunicorn.conf.py docbox_<service>.wsgi:app``. Every
value can be changed through the environment:

=========================== ============================== =====================================
variable                    default                        meaning
=========================== ============================== =====================================
``GUNICORN_BIND``           ``0.0.0.0:$PORT`` (PORT=8000)  listen address; the images set PORT
``GUNICORN_WORKERS``        2 x CPUs + 1, at most the cap  worker processes (exact number)
``GUNICORN_MAX_WORKERS``    ``8``                          cap of the computed number
``GUNICORN_THREADS``        ``1``                          threads per worker (>1: gthread)
``GUNICORN_TIMEOUT``        ``30``                         seconds a request may take
``GUNICORN_GRACEFUL_TIMEOUT`` ``30``                       seconds to finish requests on SIGTERM
``DOCBOX_LOG_LEVEL``        ``INFO``                       also gunicorn's own log level
=========================== ============================== =====================================

Access log: gunicorn's own is **off**. Gunicorn only knows the raw request
path, and Doc Box's capability tokens live in paths (``/feeds/<token>.ics``,
``/manage/<token>``), so its access line would write them into the log. The
apps already log one JSON access line per request (``docbox_shared.frame``)
naming the *route* (``/feeds/<token>.ics`` with the placeholder), the status,
the duration and the request id. Gunicorn's remaining log (start, stop, worker
timeouts, "error handling request <uri>") is written as JSON lines too, with
paths' tokens, query strings and email addresses masked.

Behind nginx the apps themselves trust ``DOCBOX_TRUSTED_PROXIES`` (compose sets
1) for the client address, scheme and path prefix (``docbox_shared.frame``).
"""

from __future__ import annotations

import logging
import math
import os
import re

from docbox_shared.frame import JsonFormatter


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "") or default)


def cpu_count() -> int:
    """CPUs this container may use: the affinity mask, lowered by a cgroup v2 CPU quota (``--cpus``)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def worker_count() -> int:
    if os.environ.get("GUNICORN_WORKERS"):
        return max(1, _int("GUNICORN_WORKERS", 1))
    return max(1, min(2 * cpu_count() + 1, _int("GUNICORN_MAX_WORKERS", 8)))


bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or '8000'}"]
workers = worker_count()
threads = max(1, _int("GUNICORN_THREADS", 1))
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (docker stop, a rolling update) workers finish the requests they hold for up to this long;
# compose's stop_grace_period is longer, so no request is cut off by the following SIGKILL.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then (jittered, so not all at once): a slow leak can't grow forever.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# The worker heartbeat file on tmpfs: a container's /tmp on overlayfs can stall and get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No control socket (gunicorn >= 25.1 makes one under $HOME, which the image's user has not got;
# containers are managed by signals from the engine, not by gunicornc).
control_socket_disable = True

accesslog = None  # see the module docstring: the apps log the route, gunicorn would log the token
errorlog = "-"
loglevel = os.environ.get("DOCBOX_LOG_LEVEL", "INFO").lower()

# --- JSON lines for gunicorn's own log, with secrets masked ------------------------------------

_MASKS = [
    # capability paths: /feeds/<token>.ics, /confirm/<token>, /manage/<token>, /unsubscribe/<token>
    (re.compile(r"(/(?:feeds|confirm|manage|unsubscribe)/)[^\s/?#'\"]+"), r"\1<token>"),
    (re.compile(r"\?[^\s'\"#]*"), "?<query>"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "<email>"),
    (re.compile(r"[A-Za-z0-9_-]{32,}"), "<redacted>"),  # anything token-sized (>=128 bits in base64url/hex)
]


def mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class MaskingJsonFormatter(JsonFormatter):
    """Doc Box's JSON line, after masking whatever gunicorn put in it (messages, tracebacks)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"masked": {"()": MaskingJsonFormatter}, "json": {"()": JsonFormatter}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "masked", "stream": "ext://sys.stderr"},
        # The apps' own lines: already free of tokens by construction, and their request ids must stay whole.
        "app": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"level": loglevel.upper(), "handlers": ["app"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["null"], "propagate": False},
        "alembic": {"level": "WARNING"},  # the app imports it (Flask-Migrate); its INFO lines are start-up noise
    },
}
