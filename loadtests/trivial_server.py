"""A trivial HTTP endpoint for measuring the load driver's own ceiling (`python -m` this).

POST /v1/orders answers 202 with a fixed order id and does nothing else, so the requests/s a
client reaches against it is the client's limit, not a service's. It listens on 127.0.0.1 on a
free port and prints that port as its first line of output, then serves until terminated.
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

BODY = b'{"order_id":"00000000-0000-0000-0000-000000000000"}'


async def _accept(_: web.Request) -> web.Response:
    return web.Response(status=202, body=BODY, content_type="application/json")


async def _serve() -> None:
    app = web.Application()
    app.router.add_post("/v1/orders", _accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    print(sock.getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve())
