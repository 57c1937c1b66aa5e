"""A local SMTP server for development: every message becomes a .eml file.

``python -m docbox_notifications.mailsink --port 1025 --dir var/mail`` (the
``make run`` setup) accepts all mail on 127.0.0.1 and writes each message to
``<dir>/<time>-<n>.eml``, so a newcomer can open what was sent. It never
relays anything, and logs no addresses.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class EmlWriter:
    """aiosmtpd handler writing each received message to a folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.counter = itertools.count(1)
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{next(self.counter):05d}.eml"
        path = self.folder / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(path)   # readers never see half a message
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default="var/mail", type=Path)
    args = parser.parse_args(argv)
    logging.getLogger("mail.log").setLevel(logging.WARNING)   # aiosmtpd logs envelope addresses at INFO
    controller = Controller(EmlWriter(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mailsink: listening on {args.host}:{args.port}, writing to {args.dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
