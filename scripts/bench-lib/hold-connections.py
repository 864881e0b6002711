#!/usr/bin/env python3
"""Holds N idle keep-alive HTTP connections open to a server, for bench-http's memory figure.

    hold-connections.py HOST PORT N [PATH] [HOLD_SECONDS]

Raises its own RLIMIT_NOFILE (soft up to hard) first, then opens N connections (at most 256
connecting at once), sends one keep-alive `GET PATH` (default /healthz) on each and reads the
answer, so each connection sits idle between requests like a browser's. Opening stops after
60 s or 1,000 failures (the rest is counted as not tried). Prints one JSON line on stdout:
{"requested", "accepted" (200 answered), "open" (still open after a short pause), "failures"
{reason: count}, "nofile" [soft, hard], "seconds"}; then holds the connections until a line
arrives on stdin or HOLD_SECONDS (default 60) pass, closes them all, and prints {"closed": n,
"open_at_close": n}. Every step has a timeout: it never hangs.
"""
import asyncio
import json
import resource
import sys
import threading
import time
from collections import Counter

CONNECT_TIMEOUT = 5.0
ANSWER_TIMEOUT = 10.0
PARALLEL = 256
OPEN_SECONDS = 60.0  # bound on opening them all; the rest is counted as not tried
GIVE_UP_AFTER_FAILURES = 1000


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


async def open_one(host, port, request, gate, failures, deadline):
    async with gate:
        if time.monotonic() > deadline or sum(failures.values()) >= GIVE_UP_AFTER_FAILURES:
            failures["not tried (deadline or too many failures)"] += 1
            return None
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ANSWER_TIMEOUT)
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await asyncio.wait_for(reader.readexactly(length), ANSWER_TIMEOUT)
            if status != 200:
                failures[f"HTTP {status}"] += 1
                writer.close()
                return None
            return reader, writer
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as e:
            failures["closed by the server" if isinstance(e, asyncio.IncompleteReadError) else type(e).__name__] += 1
        except asyncio.TimeoutError:
            failures["timeout"] += 1
        except OSError as e:
            failures[e.strerror or type(e).__name__] += 1
        except Exception as e:  # noqa: BLE001 - a count per reason, whatever it is
            failures[type(e).__name__] += 1
        if writer is not None:
            writer.close()
        return None


async def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    path = sys.argv[4] if len(sys.argv) > 4 else "/healthz"
    hold = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
    nofile = raise_nofile(count + 256)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
    failures = Counter()
    gate = asyncio.Semaphore(PARALLEL)
    started = time.monotonic()
    deadline = started + OPEN_SECONDS
    results = await asyncio.gather(*(open_one(host, port, request, gate, failures, deadline) for _ in range(count)))
    conns = [c for c in results if c is not None]
    took = time.monotonic() - started
    await asyncio.sleep(1.0)  # a server that closes at once (a limit) has done so by now
    still_open = sum(1 for reader, _ in conns if not reader.at_eof())
    print(json.dumps({"requested": count, "accepted": len(conns), "open": still_open,
                      "failures": dict(failures), "nofile": list(nofile), "seconds": round(took, 1)}), flush=True)
    loop = asyncio.get_running_loop()
    release = asyncio.Event()

    def wait_for_stdin():
        sys.stdin.readline()
        try:
            loop.call_soon_threadsafe(release.set)
        except RuntimeError:  # the hold timed out and the loop is gone
            pass

    # A daemon thread, not the loop's executor: a stdin that never speaks must not block exit.
    threading.Thread(target=wait_for_stdin, daemon=True).start()
    try:
        await asyncio.wait_for(release.wait(), hold)
    except asyncio.TimeoutError:
        pass
    open_at_close = sum(1 for reader, _ in conns if not reader.at_eof())
    for _, writer in conns:
        writer.close()
    print(json.dumps({"closed": len(conns), "open_at_close": open_at_close}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
