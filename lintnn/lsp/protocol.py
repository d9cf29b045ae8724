"""pygls' protocol, answering requests it would leave unanswered.

pygls logs a request whose params do not match the LSP types and sends nothing back, so
the client waits for an answer that never comes. Here such a request gets its JSON-RPC
error (invalid params) and the server goes on. Likewise a request after ``shutdown`` gets
the InvalidRequest error the specification asks for (pygls drops it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rejected:
    """A request that could not be decoded: answered with ``error``."""

    id: int | str
    error: JsonRpcException
    method: str = ""


class LintnnProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "method" in data and isinstance(data.get("id"), (int, str)):
                return Rejected(data["id"], error, str(data["method"]))
            raise

    def handle_message(self, message: Any) -> None:
        method, msg_id = getattr(message, "method", None), getattr(message, "id", None)
        if self._shutdown and method and method != types.EXIT and msg_id is not None:
            logger.warning("request %r (%s) after shutdown: refused", msg_id, method)
            self._send_response(msg_id, error=types.ResponseError(
                code=types.ErrorCodes.InvalidRequest,
                message=f"the server is shut down: {method} refused (only exit is accepted)"))
            return
        if isinstance(message, Rejected):
            logger.warning("rejected request %r: %s", message.id, message.error)
            self._send_response(message.id, error=message.error.to_response_error())
            return
        super().handle_message(message)
