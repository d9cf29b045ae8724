"""The language server: conversion and actions in-process, the protocol over real stdio.

One server process is shared by the protocol tests (starting one costs seconds); each
test uses its own document URIs. Every wait has a deadline, so a stuck server fails a
test instead of hanging the run.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types

from lintnn.config import Settings
from lintnn.diagnostics import Diagnostic, Edit, Fix, Location, Severity, rule_url
from lintnn.lsp import worker
from lintnn.lsp.actions import Target, code_actions, line_ends, noqa_edit
from lintnn.lsp.linter import Linter
from lintnn.lsp.stdio_client import StdioClient
from lintnn.report.lsp import code_units, position, split_lines, to_lsp
from lintnn.static.engine.run import Engine
from lintnn.static.rules.base import Rule

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0  # generous: CI machines are slow and shared; a hang still ends here

BUGGY = "import torch.nn as nn\nnet = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))\n"
FIXED = "import torch.nn as nn\nnet = nn.Sequential(nn.BatchNorm1d(4), nn.Dropout(0.5))\n"
SOFTMAX_INTO_CE = textwrap.dedent("""\
    import torch.nn.functional as F
    loss = F.cross_entropy(F.softmax(logits, dim=1), y)
""")


def finding(code: str = "NN401", row: int = 1, column: int = 1, end_column: int = 2,
            fix: Fix | None = None) -> Diagnostic:
    return Diagnostic(code=code, rule="rule-name", severity=Severity.WARNING, message="msg",
                      filename="m.py", location=Location(row, column),
                      end_location=Location(row, end_column), fix=fix)


# Conversion ---------------------------------------------------------------------------


def test_columns_are_counted_in_utf16_code_units() -> None:
    line = 'x = "é😀"; y = f(1)'
    column = line.index("f") + 1  # 1-based code points
    assert position([line], Location(1, column)) == types.Position(0, column - 1 + 1)
    assert position([line], Location(1, column), "utf-8") == types.Position(0, column - 1 + 4)
    assert position([line], Location(1, column), "utf-32") == types.Position(0, column - 1)
    assert code_units("😀😀") == 4


def test_positions_are_clamped_and_lines_split_like_lsp() -> None:
    assert split_lines("a\r\nb\rc\nd\x0ce") == ["a", "b", "c", "d\x0ce"]
    assert position(["ab"], Location(9, 9)) == types.Position(0, 2)


def test_lsp_diagnostic_carries_code_link_source_and_severity() -> None:
    converted = to_lsp(finding(), ["abc"])
    assert converted.code == "NN401"
    assert converted.source == "lintnn"
    assert converted.code_description is not None
    assert converted.code_description.href == rule_url("NN401")  # the installed rule page
    assert converted.severity == types.DiagnosticSeverity.Warning
    error = finding().with_changes(severity=Severity.ERROR)
    info = finding().with_changes(severity=Severity.INFO)
    assert to_lsp(error, ["abc"]).severity == types.DiagnosticSeverity.Error
    assert to_lsp(info, ["abc"]).severity == types.DiagnosticSeverity.Information


# Code actions -------------------------------------------------------------------------


def _noqa(text: str, row: int, code: str = "NN401") -> str | None:
    lines = split_lines(text)
    edit = noqa_edit(lines, line_ends(text, {row})[row], finding(code, row), "utf-16")
    if edit is None:
        return None
    line = lines[row - 1]
    start, end = edit.range.start.character, edit.range.end.character
    return line[:start] + edit.new_text + line[end:]  # ASCII lines: units are characters


def test_noqa_is_appended_or_merged_into_an_existing_noqa() -> None:
    assert _noqa("x = f(1)   \n", 1) == "x = f(1)  # noqa: NN401"
    assert _noqa("x = f(1)  # noqa: NN101\n", 1) == "x = f(1)  # noqa: NN101, NN401"
    assert _noqa("x = f(1)  # noqa:NN101,NN102  why\n", 1) == (
        "x = f(1)  # noqa:NN101,NN102, NN401  why")
    assert _noqa("x = f(1)  # keep me\n", 1) == "x = f(1)  # keep me  # noqa: NN401"
    assert _noqa('x = "# noqa: NN101"\n', 1) == 'x = "# noqa: NN101"  # noqa: NN401'


def test_noqa_is_not_offered_where_a_comment_would_change_the_code() -> None:
    assert _noqa('x = f("""\nabc""")\n', 1) is None  # the line ends inside a string
    assert _noqa("x = 1 + \\\n    2\n", 1) is None  # backslash continuation
    assert _noqa("x = f(1)  # noqa\n", 1) is None  # already silenced
    assert _noqa("x = (\n  1,\n)\n", 1) == "x = (  # noqa: NN401"  # inside brackets is fine


def test_fix_becomes_a_preferred_quick_fix_with_utf16_ranges() -> None:
    text = 'y = "😀"; loss = ce(softmax(z), t)\n'
    start = text.index("softmax") + 1
    end = text.index(", t") + 1
    fix = Fix("pass the logits", (Edit(Location(1, start), Location(1, end), "z"),))
    target = Target("file:///m.py", 3, text)
    actions = code_actions([finding("NN101", 1, start, end, fix)], target, 0, 0)
    quick, noqa = actions
    assert quick.is_preferred and quick.title == "pass the logits (NN101)"
    assert quick.edit is not None and quick.edit.document_changes is not None
    change = quick.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 3
    assert change.edits[0].range.start.character == start - 1 + 1  # the emoji is 2 units
    assert noqa.title == "Disable NN101 for this line"
    assert code_actions([finding("NN101", 1, start, end, fix)], target, 1, 1) == []


def test_plain_changes_when_the_client_lacks_document_changes() -> None:
    target = Target("file:///m.py", 1, "x = 1\n", document_changes=False)
    (action,) = code_actions([finding()], target, 0, 0)
    assert action.edit is not None and action.edit.changes is not None
    assert list(action.edit.changes) == ["file:///m.py"]


# Worker and settings ------------------------------------------------------------------


def test_a_crashing_rule_or_engine_becomes_nn002(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = dict(Rule.registry)
    monkeypatch.setattr(Rule, "registry", registry)  # the rule below registers itself here

    class Crashes(Rule):
        code = "NN998"
        name = "test-crashes"
        severity = Severity.ERROR
        message = "never"

        def check(self, ctx) -> None:
            raise ValueError("boom")

    assert registry["NN998"] is Crashes
    monkeypatch.setattr(worker, "_ENGINES", {})
    codes = [d.code for d in worker.lint_text(Settings(), "m.py", BUGGY)]
    assert codes == ["NN002", "NN401"]

    def explode(*args: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(Engine, "check_source", explode)
    (crash,) = worker.lint_text(Settings(), "m.py", BUGGY)
    assert crash.code == "NN002" and "engine bug" in crash.message


def test_settings_come_from_the_nearest_pyproject_and_can_be_reloaded(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.lintnn]\nignore = ["NN401"]\n')
    (tmp_path / "pkg").mkdir()
    errors: list[str] = []
    linter = Linter(use_process=False, on_config_error=errors.append)
    assert not linter.settings_for(tmp_path / "pkg" / "m.py").is_enabled("NN401")
    config.write_text('[tool.lintnn]\nselect = ["NN4"]\n')
    assert not linter.settings_for(tmp_path / "pkg" / "m.py").is_enabled("NN401")  # cached
    linter.invalidate_settings()
    assert linter.settings_for(tmp_path / "pkg" / "m.py").is_enabled("NN401")
    config.write_text('[tool.lintnn]\nbogus = 1\n')
    linter.invalidate_settings()
    assert linter.settings_for(tmp_path / "m.py").is_enabled("NN401")  # defaults
    assert errors and "bogus" in errors[0]


def _die_on_crash(settings: Settings, path: str, text: str) -> tuple[list[Diagnostic], int]:
    """A stand-in for the worker's lint that takes the whole process down."""
    if "CRASH" in text:
        os._exit(3)
    return worker.lint_measured(settings, path, text)


def test_a_dying_worker_becomes_nn002_and_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from lintnn.lsp import linter as linter_module

    monkeypatch.setattr(linter_module, "lint_measured", _die_on_crash)
    linter = Linter(use_process=True)

    async def run() -> tuple[list[Diagnostic] | None, list[Diagnostic] | None]:
        crashed = await linter.lint(Path("m.py"), "CRASH = 1\n")
        return crashed, await linter.lint(Path("m.py"), BUGGY)

    try:
        crashed, after = asyncio.run(asyncio.wait_for(run(), TIMEOUT))
    finally:
        linter.close()
    assert [d.code for d in crashed or []] == ["NN002"]
    assert [d.code for d in after or []] == ["NN401"]


# The protocol over stdio -------------------------------------------------------------


def start_server(cwd: Path) -> StdioClient:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return StdioClient([sys.executable, "-m", "lintnn", "server"], cwd=cwd, env=env)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def client(workspace: Path):
    client = start_server(workspace)
    try:
        response = client.initialize(workspace, {
            "workspace": {"workspaceEdit": {"documentChanges": True}},
        })
        assert "codeActionProvider" in response["result"]["capabilities"]
        yield client
    finally:
        client.close()


def open_document(client: StdioClient, uri: str, text: str, version: int = 1) -> dict:
    mark = len(client.received)
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": version, "text": text}})
    return client.diagnostics(uri, TIMEOUT, after=mark)["params"]


def change_document(client: StdioClient, uri: str, version: int, changes: list[dict]) -> int:
    mark = len(client.received)
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": version}, "contentChanges": changes})
    return mark


def codes(published: dict) -> list[str]:
    return [d["code"] for d in published["diagnostics"]]


def test_open_publishes_diagnostics_with_code_link_and_range(client, workspace) -> None:
    uri = (workspace / "open.py").as_uri()
    published = open_document(client, uri, BUGGY)
    (diagnostic,) = published["diagnostics"]
    assert diagnostic["code"] == "NN401"
    assert diagnostic["source"] == "lintnn"
    assert diagnostic["severity"] == types.DiagnosticSeverity.Warning.value
    assert diagnostic["codeDescription"]["href"].endswith("/NN401.md")
    start = BUGGY.splitlines()[1].index("nn.BatchNorm1d")
    assert diagnostic["range"]["start"] == {"line": 1, "character": start}


def test_an_unsaved_edit_that_fixes_the_bug_clears_the_diagnostics(client, workspace) -> None:
    uri = (workspace / "edit.py").as_uri()
    assert codes(open_document(client, uri, BUGGY)) == ["NN401"]
    line = BUGGY.splitlines()[1]
    span = {"start": {"line": 1, "character": line.index("nn.Dropout")},
            "end": {"line": 1, "character": line.index("))") + 1}}
    mark = change_document(client, uri, 2, [
        {"range": span, "text": "nn.BatchNorm1d(4), nn.Dropout(0.5)"}])
    published = client.diagnostics(uri, TIMEOUT, after=mark)["params"]
    assert published == {"uri": uri, "diagnostics": [], "version": 2}


def test_rapid_edits_are_debounced_and_the_last_text_wins(client, workspace) -> None:
    uri = (workspace / "rapid.py").as_uri()
    open_document(client, uri, FIXED)
    mark = len(client.received)
    for version in range(2, 22):
        change_document(client, uri, version, [{"text": BUGGY if version % 2 else FIXED}])
    published = client.diagnostics(uri, TIMEOUT, after=mark)["params"]
    assert published["version"] == 21 and codes(published) == ["NN401"]
    time.sleep(0.3)  # longer than the debounce: nothing else may arrive
    later = [m for m in client.received[mark:]
             if m.get("method") == "textDocument/publishDiagnostics"
             and m["params"]["uri"] == uri]
    assert len(later) == 1


def test_code_action_offers_noqa_and_noqa_silences(client, workspace) -> None:
    uri = (workspace / "action.py").as_uri()
    open_document(client, uri, BUGGY)
    response = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
        "context": {"diagnostics": []},
    }, timeout=TIMEOUT)
    (action,) = response["result"]
    assert action["title"] == "Disable NN401 for this line"
    assert action["kind"] == "quickfix"
    (change,) = action["edit"]["documentChanges"]
    assert change["textDocument"] == {"uri": uri, "version": 1}
    (edit,) = change["edits"]
    end_of_line = len(BUGGY.splitlines()[1])
    assert edit["newText"] == "  # noqa: NN401"
    assert edit["range"]["start"] == {"line": 1, "character": end_of_line}
    mark = change_document(client, uri, 2, [{"range": edit["range"], "text": edit["newText"]}])
    assert codes(client.diagnostics(uri, TIMEOUT, after=mark)["params"]) == []


def test_code_action_offers_the_rule_fix(client, workspace) -> None:
    uri = (workspace / "fix.py").as_uri()
    assert codes(open_document(client, uri, SOFTMAX_INTO_CE)) == ["NN101"]
    response = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 1, "character": 5}, "end": {"line": 1, "character": 5}},
        "context": {"diagnostics": [], "only": ["quickfix"]},
    }, timeout=TIMEOUT)
    titles = [action["title"] for action in response["result"]]
    assert titles == ["pass the logits to the loss (NN101)", "Disable NN101 for this line"]
    (edit,) = response["result"][0]["edit"]["documentChanges"][0]["edits"]
    assert edit["newText"] == "logits"


def test_non_ascii_text_before_a_finding_shifts_it_in_utf16(client, workspace) -> None:
    uri = (workspace / "unicode.py").as_uri()
    line = 'label = "ünïcödé 😀"; net = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))'
    published = open_document(client, uri, "import torch.nn as nn\n" + line + "\n")
    (diagnostic,) = published["diagnostics"]
    assert diagnostic["range"]["start"]["character"] == line.index("nn.BatchNorm1d") + 1


def test_a_syntax_error_is_nn001_and_the_server_keeps_answering(client, workspace) -> None:
    uri = (workspace / "broken.py").as_uri()
    text = "import torch.nn as nn\ndef f(:\n    nn.BatchNorm1d(4)\n"  # a trigger: it is parsed
    published = open_document(client, uri, text)
    assert codes(published) == ["NN001"]
    assert published["diagnostics"][0]["severity"] == types.DiagnosticSeverity.Error.value
    other = (workspace / "after_broken.py").as_uri()
    assert codes(open_document(client, other, BUGGY)) == ["NN401"]


def test_malformed_messages_and_unknown_methods_do_not_stop_the_server(client, workspace):
    client.send_raw(b"{this is not json")
    client.send_raw(b'[1, 2, 3]')
    client.send_raw(b'{"id": 98, "method": "textDocument/codeAction"}')  # no "jsonrpc"
    client.notify("$/unknownNotification", {})
    client.notify("textDocument/didOpen", {"bogus": 1})
    invalid = client.request("textDocument/codeAction", {"nonsense": True}, timeout=TIMEOUT)
    assert invalid["error"]["code"] == types.ErrorCodes.InvalidParams.value
    unknown = client.request("lintnn/noSuchMethod", {}, timeout=TIMEOUT)
    assert unknown["error"]["code"] == types.ErrorCodes.MethodNotFound.value
    uri = (workspace / "after_garbage.py").as_uri()
    assert codes(open_document(client, uri, BUGGY)) == ["NN401"]


def test_config_is_reread_when_pyproject_changes(client, workspace) -> None:
    project = workspace / "project"
    project.mkdir()
    config = project / "pyproject.toml"
    config.write_text('[tool.lintnn]\nignore = ["NN401"]\n')
    uri = (project / "model.py").as_uri()
    assert codes(open_document(client, uri, BUGGY)) == []
    config.write_text('[tool.lintnn]\nselect = ["NN"]\n')
    mark = len(client.received)
    client.notify("workspace/didChangeWatchedFiles", {
        "changes": [{"uri": config.as_uri(), "type": 2}]})
    assert codes(client.diagnostics(uri, TIMEOUT, after=mark)["params"]) == ["NN401"]
    config.write_text('[tool.lintnn]\nextend-ignore = ["NN4"]\n')
    mark = len(client.received)
    client.notify("textDocument/didSave", {"textDocument": {"uri": config.as_uri()}})
    assert codes(client.diagnostics(uri, TIMEOUT, after=mark)["params"]) == []


def test_a_huge_document_does_not_block_requests_or_other_documents(client, workspace) -> None:
    small = (workspace / "small.py").as_uri()
    open_document(client, small, BUGGY)
    huge = (workspace / "huge.py").as_uri()
    text = BUGGY + "".join(f"value_{i} = {i}\n" for i in range(50_000))
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": huge, "languageId": "python", "version": 1, "text": text}})
    started = time.monotonic()
    response = client.request("textDocument/codeAction", {  # answered from the last result
        "textDocument": {"uri": small},
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
        "context": {"diagnostics": []},
    }, timeout=TIMEOUT)
    assert len(response["result"]) == 1
    assert time.monotonic() - started < 5.0
    time.sleep(1.2)  # the huge lint is now running long enough to be worth stopping
    for version in range(2, 5):
        change_document(client, huge, version, [{
            "range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}},
            "text": f"edit_{version} = 1\n"}])
    client.notify("textDocument/didClose", {"textDocument": {"uri": huge}})
    # The huge lint takes about a minute; this answer comes within TIMEOUT only because the
    # outdated lint was stopped and the worker restarted.
    other = (workspace / "after_huge.py").as_uri()
    assert codes(open_document(client, other, BUGGY)) == ["NN401"]


def test_shutdown_and_exit_are_clean(workspace) -> None:
    client = start_server(workspace)
    client.initialize(workspace)
    assert client.close() == 0
    assert "Traceback" not in "".join(client.stderr)


# A corrupted input stream (issue 18, items 2 and 2b) -------------------------------------


@pytest.fixture(scope="module")
def raw_client(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("raw")
    client = start_server(root)
    try:
        client.initialize(root)
        yield client, root
    finally:
        client.close()


def did_open(uri: str, text: str = BUGGY) -> dict:
    return {"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}}}


def open_and_close_pairs(client: StdioClient, root: Path, name: str, pairs: int = 4) -> None:
    """The didOpen/didClose pairs that a desynchronised stream lost in issue 18."""
    for n in range(pairs):
        uri = (root / f"{name}_{n}.py").as_uri()
        assert codes(open_document(client, uri, BUGGY)) == ["NN401"]
        mark = len(client.received)
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        assert client.diagnostics(uri, TIMEOUT, after=mark)["params"]["diagnostics"] == []


def dropped_log(client: StdioClient, mark: int) -> str:
    return client.wait_for(lambda m: m.get("method") == "window/logMessage"
                           and "dropped" in m["params"]["message"], TIMEOUT,
                           after=mark)["params"]["message"]


@pytest.mark.parametrize(("name", "length"), [
    ("short", lambda body: b"%d" % (len(body) - 10)),  # the header says 10 bytes less
    ("long", lambda body: b"%d" % (len(body) + 10)),
    ("nonnumeric", lambda body: b"abc"),
])
def test_a_wrong_content_length_costs_one_message_and_is_logged(raw_client, name, length):
    client, root = raw_client
    body = client.encode(did_open((root / f"lost_{name}.py").as_uri()))
    mark = len(client.received)
    client.send_raw(body, length(body))
    if name == "long":  # its end is found only when the next message comes
        client.notify("$/noop", {})
    assert "dropped" in dropped_log(client, mark)
    assert "wrong Content-Length" in dropped_log(client, mark) or name == "nonnumeric"
    open_and_close_pairs(client, root, name)


def test_a_request_with_a_wrong_content_length_gets_an_error_answer(raw_client) -> None:
    client, root = raw_client
    body = client.encode({"id": 4242, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": (root / "x.py").as_uri()},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": []}}})
    client.send_raw(body, b"%d" % (len(body) - 10))
    answer = client.wait_for(lambda m: m.get("id") == 4242, TIMEOUT)
    assert answer["error"]["code"] == types.ErrorCodes.ParseError.value
    assert "wrong Content-Length" in answer["error"]["message"]
    open_and_close_pairs(client, root, "after_error_answer", pairs=1)


def test_a_huge_content_length_is_refused_and_the_server_goes_on(raw_client) -> None:
    client, root = raw_client
    mark = len(client.received)
    client.send_raw(client.encode({"id": 77, "method": "shutdown"}), b"99999999999")
    answer = client.wait_for(lambda m: m.get("id") == 77, TIMEOUT, after=mark)
    assert answer["error"]["code"] == types.ErrorCodes.InvalidRequest.value
    assert "larger than the server accepts" in dropped_log(client, mark)
    assert client.process.poll() is None
    open_and_close_pairs(client, root, "after_huge_header", pairs=2)


def test_garbage_between_messages_is_skipped(raw_client) -> None:
    client, root = raw_client
    mark = len(client.received)
    client.write(b"\x00\xffnot a header at all\r\n\r\n{}")
    open_and_close_pairs(client, root, "after_garbage", pairs=1)
    assert "bytes outside any message" in dropped_log(client, mark)


def test_requests_after_shutdown_get_invalid_request(workspace) -> None:
    client = start_server(workspace)
    client.initialize(workspace)
    assert client.request("shutdown", timeout=TIMEOUT)["result"] is None
    for method in ("textDocument/codeAction", "shutdown", "lintnn/unknown"):
        answer = client.request(method, {}, timeout=TIMEOUT)
        assert answer["error"]["code"] == types.ErrorCodes.InvalidRequest.value, method
    client.notify("exit")
    assert client.process.wait(timeout=TIMEOUT) == 0
    client.close()


# Large documents and memory (issue 18, items 2b and 3) ------------------------------------


def test_a_document_over_max_file_size_is_skipped_at_once_and_says_so(raw_client) -> None:
    client, root = raw_client
    project = root / "limited"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.lintnn]\nmax-file-size = "1KB"\n')
    uri = (project / "big.py").as_uri()
    big = BUGGY + "x = 1\n" * 400
    started = time.monotonic()
    (notice,) = open_document(client, uri, big)["diagnostics"]
    assert time.monotonic() - started < 5.0
    assert notice["severity"] == types.DiagnosticSeverity.Information.value
    assert notice["message"].startswith("lintnn skipped this file: too large (0.0 MB, above "
                                        "max-file-size = 0.001 MB)")
    assert "code" not in notice
    mark = change_document(client, uri, 2, [{"text": BUGGY}])  # small again: linted
    assert codes(client.diagnostics(uri, TIMEOUT, after=mark)["params"]) == ["NN401"]


TRAINING_LOOP = textwrap.dedent("""\
    import torch
    for inputs, targets in loader:
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
""")


def test_closing_a_document_drops_its_state_in_the_worker(tmp_path: Path) -> None:
    import asyncio

    from lintnn.static.syntax import memo

    linter = Linter(use_process=False)
    path = tmp_path / "m.py"
    asyncio.run(linter.lint(path, TRAINING_LOOP))
    engine = worker.engine_for(linter.settings_for(path))
    assert str(path) in engine._documents
    assert any(memo._CACHES)  # answers about the loop, holding its nodes
    future = linter.forget(path)
    assert future is not None and future.result(TIMEOUT) > 0  # the resident memory
    linter.close()
    assert str(path) not in engine._documents
    assert not any(memo._CACHES)


def test_a_worker_grown_past_the_bound_is_replaced_and_linting_goes_on() -> None:
    import asyncio

    linter = Linter(use_process=True)
    linter.max_rss = 1  # every worker is "too large": each lint is followed by a new one

    async def run() -> list[list[str]]:
        found = []
        for _ in range(2):
            diagnostics = await linter.lint(Path("m.py"), BUGGY)
            found.append([d.code for d in diagnostics or []])
        return found

    try:
        found = asyncio.run(asyncio.wait_for(run(), TIMEOUT))
    finally:
        linter.close()
    assert found == [["NN401"], ["NN401"]]
    assert linter.recycled == 2


def test_a_worker_past_the_bound_after_a_close_is_replaced() -> None:
    import asyncio

    linter = Linter(use_process=True)

    async def run() -> tuple[int, list[str]]:
        await linter.lint(Path("m.py"), BUGGY)
        linter.max_rss = 1  # as if the closed buffer had left the worker large
        future = linter.forget(Path("m.py"))
        assert future is not None
        await asyncio.wrap_future(future)
        await asyncio.sleep(0.1)  # the replacement is scheduled on the loop
        recycled = linter.recycled
        linter.max_rss = 1 << 40
        return recycled, [d.code for d in await linter.lint(Path("m.py"), BUGGY) or []]

    try:
        recycled, after = asyncio.run(asyncio.wait_for(run(), TIMEOUT))
    finally:
        linter.close()
    assert recycled == 1 and after == ["NN401"]
