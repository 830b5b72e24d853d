"""localstripe, the second peer of the mock benchmark, in memory and on loopback.

Run by bench/measure_api.py with the interpreter of its own virtual environment
(bench/.cache/localstripe-venv, never the project's). localstripe as it ships pickles its whole
store to /tmp/localstripe.pickle after every write (POST, PUT, DELETE and each stored object), so
its time per write grows with everything created so far, and two copies on one machine share that
file. Our mock keeps its state in memory only, so for like-for-like work this turns that disk
dump off (and starts from an empty store, as `--from-scratch` does). It also listens on
127.0.0.1 only, where localstripe's own `start()` binds every interface (`::`). Everything else is
localstripe's: its aiohttp application, middlewares (auth, errors, CORS) and its access log, one
line per request on stderr, as it logs by default.

    python bench/localstripe_server.py --port 8420
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    options = parser.parse_args()

    resources.Store.dump_to_disk = lambda self: None
    resources.store.clear()

    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler())
    web.run_app(server.app, host=options.host, port=options.port, access_log=logger, print=None)


if __name__ == "__main__":
    main()
