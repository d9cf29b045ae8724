"""Exit codes and usage errors, shared by every command (ruff's codes)."""

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A mistake on the command line or in the configuration."""
