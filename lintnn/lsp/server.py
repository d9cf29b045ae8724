"""The lintnn language server (pygls): diagnostics as you type, quick fixes, noqa actions.

Edits are debounced and linted on the unsaved buffer; the newest text wins, and a
result for a text that changed meanwhile is dropped rather than shown out of place.
The input is read by :mod:`lintnn.lsp.framing` (a wrong ``Content-Length`` costs one
message, not the stream); a buffer over ``max-file-size`` is not linted, and says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing.util
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from lintnn.diagnostics import Diagnostic
from lintnn.lsp.actions import Target, code_actions
from lintnn.lsp.framing import Dropped, FrameReader, Message, Undecodable
from lintnn.lsp.linter import Linter
from lintnn.lsp.protocol import LintnnProtocol
from lintnn.report.lsp import to_lsp_all
from lintnn.version import __version__

logger = logging.getLogger(__name__)

DEBOUNCE_S = 0.15
PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_NAME = "pyproject.toml"
WATCH_ID = "lintnn-pyproject-watcher"
READ_CHUNK = 1 << 16


@dataclass(frozen=True)
class Linted:
    """The diagnostics of one version of a document, with the text they refer to."""

    version: int | None
    text: str
    diagnostics: list[Diagnostic]
    skipped: str | None = None  # why the text was not linted (shown as a diagnostic)


class LintnnServer(LanguageServer):
    """Keeps the last result per document and a queue of documents to (re-)lint."""

    def __init__(self, debounce: float = DEBOUNCE_S, use_process: bool = True) -> None:
        super().__init__("lintnn", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=LintnnProtocol)
        self.debounce = debounce
        self.linter = Linter(use_process, on_config_error=self.show_error_once)
        self.results: dict[str, Linted] = {}
        self.shutdown_requested = False
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._queue: dict[str, None] = {}  # insertion-ordered set of URIs
        self._wake: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._shown: set[str] = set()
        self._paths: dict[str, Path] = {}  # the file each open URI was last linted as

    # Documents ----------------------------------------------------------------------

    def document(self, uri: str) -> TextDocument | None:
        """The open Python document at ``uri``, or None."""
        document = self.workspace.text_documents.get(unquote(uri))
        if document is None:
            return None
        if document.language_id == "python" or str(document.path).endswith(PYTHON_SUFFIXES):
            return document
        return None

    def path_of(self, document: TextDocument) -> Path:
        """The file a buffer is checked as (an untitled buffer: a file in the workspace)."""
        if document.uri.startswith("file:") and document.path:
            return Path(document.path)
        root = self.workspace.root_path or os.getcwd()
        return Path(root) / (Path(document.path or "untitled").stem + ".py")

    # Scheduling ---------------------------------------------------------------------

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Lint ``uri`` after ``delay`` seconds; a newer call restarts the wait."""
        loop = asyncio.get_running_loop()
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        if delay > 0:
            self._timers[uri] = loop.call_later(delay, self._enqueue, uri)
        else:
            self._enqueue(uri)

    def cancel(self, uri: str) -> None:
        """Drop any pending or running lint of ``uri``."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._queue.pop(uri, None)
        self.linter.abandon(uri)

    def _enqueue(self, uri: str) -> None:
        self._timers.pop(uri, None)
        self._queue[uri] = None
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._drain())
        self._wake.set()

    async def _drain(self) -> None:
        """Lint queued documents one at a time, for as long as the server runs."""
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                uri = next(iter(self._queue))
                del self._queue[uri]
                try:
                    await self.lint_and_publish(uri)
                except Exception:  # keep serving: log and go on with the next document
                    logger.exception("linting %s failed", uri)

    async def lint(self, document: TextDocument) -> Linted | None:
        """Lint the document's current text; None if the lint was abandoned."""
        version, text = document.version, document.source
        path = self._paths[unquote(document.uri)] = self.path_of(document)
        limit = self.linter.settings_for(path).max_file_size
        if len(text) > limit:  # analysis needs ~1 GiB per MB: say so at once instead
            return Linted(version, text, [], skipped=(
                f"lintnn skipped this file: too large ({len(text) / 1e6:.1f} MB, above "
                f"max-file-size = {limit / 1e6:g} MB); raise max-file-size in "
                "[tool.lintnn] of pyproject.toml to lint it"))
        diagnostics = await self.linter.lint(path, text, key=document.uri)
        return None if diagnostics is None else Linted(version, text, diagnostics)

    def closed(self, uri: str) -> None:
        """The editor closed ``uri``: drop its lint, its result and the worker's state."""
        self.cancel(uri)
        path = self._paths.pop(unquote(uri), None)
        if path is not None:
            self.linter.forget(path)
        if self.results.pop(uri, None) is not None:
            self.publish(uri, None)

    async def lint_and_publish(self, uri: str) -> None:
        document = self.document(uri)
        if document is None:
            return
        linted = await self.lint(document)
        if linted is None:  # the worker was stopped for an outdated text, maybe not this one
            if uri not in self._timers:
                self.schedule(uri)
            return
        current = self.document(uri)
        if current is None or current.version != linted.version or current.source != linted.text:
            return  # edited meanwhile: the newer text is already scheduled
        self.results[uri] = linted
        self.publish(uri, linted)

    def publish(self, uri: str, linted: Linted | None) -> None:
        diagnostics = [] if linted is None or not linted.diagnostics else to_lsp_all(
            linted.diagnostics, linted.text, self.workspace.position_encoding or "utf-16")
        if linted is not None and linted.skipped is not None:
            logger.warning("%s: %s", uri, linted.skipped)
            start = types.Position(0, 0)
            diagnostics.append(types.Diagnostic(
                range=types.Range(start, start), message=linted.skipped, source="lintnn",
                severity=types.DiagnosticSeverity.Information))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=None if linted is None else linted.version))

    def config_changed(self) -> None:
        """A pyproject.toml changed: forget settings, re-lint every open document."""
        self.linter.invalidate_settings()
        self._shown.clear()
        self.results.clear()
        for document in list(self.workspace.text_documents.values()):
            if self.document(document.uri) is not None:
                self.schedule(document.uri)

    # Messages -----------------------------------------------------------------------

    def show_error_once(self, message: str) -> None:
        logger.error("%s", message)
        if message not in self._shown:
            self._shown.add(message)
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Error, message=message))

    # Input ------------------------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio, reading the input with :class:`FrameReader` (pygls' reader
        loses the stream at the first wrong ``Content-Length``)."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(self._read_input(stdin or sys.stdin.buffer))
        except BrokenPipeError:
            logger.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    async def _read_input(self, stdin: BinaryIO) -> None:
        reader = FrameReader(lambda body: json.loads(
            body, object_hook=self.protocol.structure_message))
        read = getattr(stdin, "read1", stdin.read)  # what is there, not a full chunk
        loop = asyncio.get_running_loop()
        assert self._stop_event is not None
        while not self._stop_event.is_set():
            chunk = await loop.run_in_executor(self.thread_pool, read, READ_CHUNK)
            for event in reader.feed(chunk) if chunk else reader.end():
                self._on_input(event)
            if not chunk:
                return

    def _on_input(self, event: Message | Undecodable | Dropped) -> None:
        if isinstance(event, Dropped):
            self.report_dropped(event)
            return
        try:
            if isinstance(event, Undecodable):
                raise event.error
            self.protocol.handle_message(event.value)
        except Exception as error:  # as pygls: log it, tell the client, go on
            logger.exception("unable to handle a message")
            self.report_server_error(error, None)

    def report_dropped(self, dropped: Dropped) -> None:
        """Log what the input lost, and answer the request it held, if one can be read."""
        message = (f"lintnn: dropped {dropped.size:,} bytes of input: {dropped.reason}; "
                   "reading on at the next message")
        logger.warning("%s (request id %r)", message, dropped.request_id)
        self.window_log_message(types.LogMessageParams(
            type=types.MessageType.Warning, message=message))
        if dropped.request_id is not None:
            code = (types.ErrorCodes.InvalidRequest if dropped.too_large
                    else types.ErrorCodes.ParseError)
            self.protocol._send_response(  # pygls has no public call for an error answer
                dropped.request_id, error=types.ResponseError(code=code, message=message))

    def report_server_error(self, error: Exception, source: object) -> None:
        """Log protocol errors (a malformed message, a failed handler) without popups."""
        self.window_log_message(types.LogMessageParams(
            type=types.MessageType.Error, message=f"lintnn: {type(error).__name__}: {error}"))

    def shutdown(self) -> None:
        """Stop reading and linting; never wait for a blocked stdin read or a long lint."""
        if self._stop_event is not None:
            self._stop_event.set()
        if self._thread_pool is not None:
            self._thread_pool.shutdown(wait=False, cancel_futures=True)
        self.linter.close()


def is_config(uri: str) -> bool:
    return unquote(uri).rstrip("/").endswith("/" + CONFIG_NAME)


def create_server(debounce: float = DEBOUNCE_S, use_process: bool = True) -> LintnnServer:
    """The server with its handlers registered."""
    server = LintnnServer(debounce, use_process)

    @server.feature(types.INITIALIZED)
    def initialized(ls: LintnnServer, params: types.InitializedParams) -> None:
        ls.linter.warm_up()
        if get_capability(ls.client_capabilities,
                          "workspace.did_change_watched_files.dynamic_registration", False):
            watcher = types.FileSystemWatcher(glob_pattern=f"**/{CONFIG_NAME}")
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[watcher])
            registration = types.Registration(
                id=WATCH_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=options)
            ls.client_register_capability(types.RegistrationParams(registrations=[registration]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LintnnServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LintnnServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.linter.abandon(params.text_document.uri)
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: LintnnServer, params: types.DidSaveTextDocumentParams) -> None:
        if is_config(params.text_document.uri):
            ls.config_changed()
        else:
            ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LintnnServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: LintnnServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(is_config(change.uri) for change in params.changes):
            ls.config_changed()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix]))
    async def code_action(
        ls: LintnnServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        only = params.context.only
        if only and not any(types.CodeActionKind.QuickFix.startswith(kind) for kind in only):
            return []
        uri = params.text_document.uri
        document = ls.document(uri)
        if document is None:
            return []
        linted = ls.results.get(uri)
        if linted is None or linted.version != document.version or linted.text != document.source:
            linted = await ls.lint(document)
        if linted is None:
            return []
        target = Target(
            uri, linted.version, linted.text, ls.workspace.position_encoding or "utf-16",
            bool(get_capability(ls.client_capabilities,
                                "workspace.workspace_edit.document_changes", False)),
        )
        return code_actions(linted.diagnostics, target, params.range.start.line,
                            params.range.end.line)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: LintnnServer, params: None) -> None:
        ls.shutdown_requested = True
        ls.linter.close()

    return server


def serve() -> None:
    """Speak LSP over stdio until the client says exit (or goes away)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="lintnn-server %(levelname)s %(name)s: %(message)s")
    # The protocol gets its own handle on stdout; fd 1 then points at stderr, so a stray
    # print (here or in the lint worker, which inherits it) cannot corrupt the stream.
    sys.stdout.flush()
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    server = create_server()
    try:
        server.start_io(sys.stdin.buffer, protocol_out)
    finally:
        server.linter.close()
        sys.stderr.flush()
    # The stdin reader thread may still be blocked in read(): exit without waiting for it,
    # after multiprocessing's own exit handler (it releases the worker's semaphores).
    multiprocessing.util._exit_function()
    os._exit(0 if server.shutdown_requested else 1)
