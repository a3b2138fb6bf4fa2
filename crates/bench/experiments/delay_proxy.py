"""A TCP proxy that delays every chunk by a fixed time each way: a local
PostgreSQL made to answer like one across a network, to measure what the
round trips of a step cost where they are not free.

    python3 delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS

then point the bench at it: agentry-bench --engine-only --pg-url
postgres://postgres@127.0.0.1:LISTEN_PORT/test. A round trip then costs
twice DELAY_MS more than on the loopback.
"""

import asyncio
import sys
import time

LISTEN, TARGET, DELAY = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000


async def pipe(reader, writer):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                writer.close()
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + DELAY, data))
    except ConnectionError:
        pass
    queue.put_nowait((0, None))
    await delivering


async def serve(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", TARGET)
    except OSError:
        client_writer.close()
        return
    for sock in (client_writer, server_writer):
        sock.get_extra_info("socket").setsockopt(6, 1, 1)  # TCP_NODELAY
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer),
                         return_exceptions=True)


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()


asyncio.run(main())
