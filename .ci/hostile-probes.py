#!/usr/bin/env python3
"""Hostile probes against an agentry-api binary: each prints its answer and how
long it took (or that it was still unanswered after the probe's patience).

    .ci/hostile-probes.py path/to/agentry-api [postgres://…/db]

Not part of CI (the tests prove each fix); run by hand to compare two builds,
as recorded in the closing note of issue 9. Uses only the standard library.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ADMIN = "agt_hostile-probes-admin-0123456789"
PATIENCE = 60.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, binary, database_url, token=ADMIN):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.blobs = tempfile.mkdtemp()
        env = dict(os.environ, AGENTRY_LISTEN=f"127.0.0.1:{self.port}",
                   AGENTRY_DATABASE_URL=database_url, AGENTRY_ADMIN_TOKEN=token,
                   AGENTRY_BLOB_DIR=self.blobs, AGENTRY_LOG="error")
        self.process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode()[-500:])
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("agentry-api did not come up")

    def stop(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.blobs, ignore_errors=True)

    def call(self, method, path, body=None, raw=None, token=ADMIN, patience=PATIENCE):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=patience) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        except (TimeoutError, socket.timeout):
            return None, None, time.monotonic() - started
        except OSError as e:
            return f"connection error ({e.__class__.__name__})", None, time.monotonic() - started
        try:
            text = json.loads(text)
        except ValueError:
            pass
        return status, text, time.monotonic() - started


def show(name, status, took, note=""):
    answer = "no answer" if status is None else status
    print(f"| {name} | {answer} | {took:.2f} s | {note} |", flush=True)


def raw_exchange(api, head, body_chunks, patience, pause=0.0):
    """Sends a request by hand, as a client that keeps sending until the server
    stops reading, then reads what it answered; returns (status line, seconds)."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", api.port))
    sock.settimeout(patience)
    try:
        try:
            sock.sendall(head)
            for chunk in body_chunks:
                sock.sendall(chunk)
                if pause:
                    time.sleep(pause)
                if time.monotonic() - started > patience:
                    return None, time.monotonic() - started
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what did it say?
        try:
            answer = sock.recv(200).split(b"\r\n")[0].decode()
        except ConnectionResetError:
            answer = ""
        return (answer or "closed without an answer"), time.monotonic() - started
    except (TimeoutError, socket.timeout):
        return None, time.monotonic() - started
    finally:
        sock.close()


def post_raw(api, path, body, patience=PATIENCE):
    """POSTs a JSON body with its Content-Length, by hand (see `raw_exchange`)."""
    data = json.dumps(body).encode()
    head = (f"POST /api/v1{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
    return raw_exchange(api, head, chunks, patience)


def probes(binary, database_url):
    api = Api(binary, database_url)
    try:
        _, created, _ = api.call("POST", "/projects", {"name": "Probe", "key": "PR"})
        project = created["project"]["id"]

        # 1. One message of distinct @handles.
        for count in (100_000, 300_000):
            content = " ".join(f"@u{i}" for i in range(count))
            body = {"project_id": project, "type": "chat_message", "payload": {"content": content}}
            status, took = post_raw(api, "/events", body)
            show(f"#1 chat message with {count:,} distinct @handles ({len(content) / 1e6:.1f} MB)",
                 status, took)

        # 2. A body with no length: chunked, 30 MB.
        head = (f"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        status, took = raw_exchange(api, head, [chunk] * 480, PATIENCE)
        show("#2 chunked body of 30 MB, no Content-Length", status, took)

        # 3. One label repeated.
        _, label, _ = api.call("POST", f"/projects/{project}/labels", {"name": "bug"})
        for count in (25_000, 600_000):
            body = {"title": "t", "labels": [label["id"]] * count}
            status, took = post_raw(api, f"/projects/{project}/tasks", body)
            show(f"#3 task with one label repeated {count:,} times", status, took)

        # 4. Editing the longest description.
        _, task, _ = api.call("POST", f"/projects/{project}/tasks", {"title": "long"})
        answers = []
        started = time.monotonic()
        for fill in "ab":
            status, _, _ = api.call("PATCH", f"/tasks/{task['id']}", {"description": fill * 100_000})
            answers.append(status)
        show("#4 description of 100,000 characters written, then edited", answers,
             time.monotonic() - started)

        # 5. NUL characters.
        tool = {"name": "nul_tool", "tool_type": "time",
                "input_schema": {"type": "object", "description": "a\u0000b"}}
        status, _, took = api.call("POST", "/tools", tool)
        show("#5 NUL in a tool's input_schema", status, took)
        status, _, took = api.call("GET", "/assistants?cursor=c2EAYg")
        show("#5 NUL in a cursor", status, took)

        # 9. A registry whose resolved tree is 6^8 tools.
        previous = None
        for level in range(9):
            _, assistant, _ = api.call("POST", "/assistants",
                                       {"name": f"Level {level}", "model": "m", "assistant_type": "llm"})
            if previous is not None:
                for n in range(6):
                    _, t, _ = api.call("POST", "/tools", {
                        "name": f"ask_{level}_{n}", "tool_type": "sub_assistant",
                        "input_schema": {"type": "object"}, "assistant_id": previous})
                    api.call("POST", f"/assistants/{assistant['id']}/tools/{t['id']}")
            previous = assistant["id"]
        status, _, took = api.call("GET", f"/assistants/{previous}/resolved")
        show("#9 resolving an assistant whose tree is 6^8 tools", status, took)

        # 10. Probing another project's ids.
        eve = api.call("POST", "/users", {"name": "Eve"})[1]["token"]["secret"]
        _, own, _ = api.call("POST", "/projects", {"name": "Eve's", "key": "EV"}, token=eve)
        own = own["project"]["id"]
        hidden, _, _ = task["id"], None, None
        existing, _, took_a = api.call("GET", f"/events?project_id={own}&task_id={hidden}", token=eve)
        missing, _, took_b = api.call(
            "GET", f"/events?project_id={own}&task_id=01a202a7-99f1-73cd-9858-4075c5ed4a74", token=eve)
        show("#10 another project's task id, then an unknown one", [existing, missing], took_a + took_b)

        # Slow clients.
        head = (f"POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode()
        status, took = raw_exchange(api, head, [b" "] * 100, PATIENCE, pause=1.0)
        show("slow body: 100 bytes at one a second", status, took)
        status, took = raw_exchange(api, b"", [], PATIENCE)
        show("idle connection: connect, send nothing", status, took,
             "`closed` is the server hanging up")
    finally:
        api.stop()

    # 7. The configured admin token turned A -> B -> A.
    outcomes = []
    started = time.monotonic()
    for token in (ADMIN, "agt_hostile-probes-second-0123456789", ADMIN):
        try:
            Api(binary, database_url, token).stop()
            outcomes.append("started")
        except RuntimeError:
            outcomes.append("failed to start")
    show("#7 admin token rotated A, B, then A again", outcomes, time.monotonic() - started)


if __name__ == "__main__":
    binary = sys.argv[1]
    if len(sys.argv) > 2:
        url = sys.argv[2]
    else:
        url = f"sqlite://{tempfile.mkdtemp()}/probes.db?mode=rwc"
    print("| probe | answer | time | |\n|---|---|---|---|")
    probes(binary, url)
