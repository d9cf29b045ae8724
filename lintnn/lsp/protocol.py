"""pygls' protocol, answering requests it cannot decode instead of dropping them.

pygls logs a request whose params do not match the LSP types and sends nothing back, so
the client waits for an answer that never comes. Here such a request gets its JSON-RPC
error (invalid params) and the server goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rejected:
    """A request that could not be decoded: answered with ``error``."""

    id: int | str
    error: JsonRpcException


class LintnnProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "method" in data and isinstance(data.get("id"), (int, str)):
                return Rejected(data["id"], error)
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Rejected):
            logger.warning("rejected request %r: %s", message.id, message.error)
            self._send_response(message.id, error=message.error.to_response_error())
            return
        super().handle_message(message)
