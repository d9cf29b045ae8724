"""A minimal LSP client over a subprocess's stdio, for the tests and the benchmark.

Content-Length framing, a reader thread feeding a queue, and a deadline on every wait:
a server that stops answering fails the caller with ``TimeoutError``, never hangs it.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

Message = dict[str, Any]


class StdioClient:
    """Talks JSON-RPC to ``command``; keeps every message the server sent in ``received``."""

    def __init__(self, command: Sequence[str], cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            list(command), cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.received: list[Message] = []
        self.stderr: list[str] = []
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        threading.Thread(target=self._drain_stderr, args=(self.process.stderr,),
                         daemon=True).start()

    # Sending ----------------------------------------------------------------------------

    def send_raw(self, body: bytes, length: bytes | None = None) -> None:
        """``body`` with a Content-Length header: its size, or ``length`` (to test a wrong
        one)."""
        declared = b"%d" % len(body) if length is None else length
        self.write(b"Content-Length: " + declared + b"\r\n\r\n" + body)

    def write(self, data: bytes) -> None:
        """Bytes as they are, no framing."""
        assert self.process.stdin is not None
        with self._write_lock:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    @staticmethod
    def encode(message: Message) -> bytes:
        return json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")

    def send(self, message: Message) -> None:
        self.send_raw(self.encode(message))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any = None, timeout: float = 10.0) -> Message:
        """Send a request and return the response (result or error) to it."""
        msg_id = next(self._ids)
        self.send({"id": msg_id, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    # Receiving --------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float = 10.0,
                 after: int = 0) -> Message:
        """The first message (from index ``after`` of ``received``) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        index = after
        while True:
            while index < len(self.received):
                message = self.received[index]
                index += 1
                if predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching message within {timeout} s; "
                                   f"stderr: {''.join(self.stderr)[-2000:]}")
            try:
                message = self._inbox.get(timeout=remaining)
            except queue.Empty:
                continue
            if message is None:
                raise ConnectionError(f"server closed its output; "
                                      f"stderr: {''.join(self.stderr)[-2000:]}")
            self.received.append(message)

    def diagnostics(self, uri: str, timeout: float = 10.0, after: int = 0) -> Message:
        """The next publishDiagnostics for ``uri``."""
        return self.wait_for(
            lambda m: m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri, timeout, after)

    def _read(self, stream: BinaryIO) -> None:
        try:
            while True:
                length = 0
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    if not line.strip():
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                message = json.loads(stream.read(length))
                if "method" in message and "id" in message:  # a request to the client
                    self.send({"id": message["id"], "result": None})
                self._inbox.put(message)
        except (OSError, ValueError):
            return
        finally:
            self._inbox.put(None)

    def _drain_stderr(self, stream: BinaryIO) -> None:
        for line in iter(stream.readline, b""):
            self.stderr.append(line.decode("utf-8", "replace"))

    # Lifecycle --------------------------------------------------------------------------

    def initialize(self, root: Path, capabilities: Message | None = None) -> Message:
        response = self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(),
            "capabilities": capabilities or {},
        }, timeout=30.0)
        self.notify("initialized", {})
        return response

    def close(self, timeout: float = 10.0) -> int:
        """shutdown + exit, then the exit status (the process is killed if it lingers)."""
        try:
            if self.process.poll() is None:
                self.request("shutdown", timeout=timeout)
                self.notify("exit")
        except (TimeoutError, ConnectionError, OSError):
            pass
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=timeout)
        finally:
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
