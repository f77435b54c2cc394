"""Errors a user can act on.

::

    SeedfeedError(message, hint)      anything the CLI reports as "error: ... / hint: ..."
    ├── ConfigError                   a config file or command-line option is wrong
    ├── DocumentError                 one document cannot be read or parsed; it is skipped
    ├── FetchError                    one URL could not be fetched; its items are kept
    │   └── FetchDeferred             the run's fetch budget ran out first; the next run fetches it
    ├── OutputError                   output or state could not be written
    └── LockedError                   another run holds the lock

Bugs are not SeedfeedErrors: they propagate.
"""

from __future__ import annotations

# Exit statuses of every command (README, "Commands"): each error class maps to one in the CLI.
EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_OUTPUT, EXIT_LOCKED = 0, 1, 2, 3, 4


class SeedfeedError(Exception):
    """An error with a message naming the file, key or URL, and a hint saying what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(SeedfeedError):
    pass


class DocumentError(SeedfeedError):
    pass


class FetchError(SeedfeedError):
    """A URL could not be fetched. ``status`` is the HTTP status when there was a response."""

    def __init__(self, message: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


class FetchDeferred(FetchError):
    """The run's fetch budget ran out before this URL was fetched (or while it was): not a failure of the
    source, so its state is left as it was and the next run fetches it first."""


class OutputError(SeedfeedError):
    pass


class LockedError(SeedfeedError):
    pass


class Cancelled(Exception):
    """The caller asked a run to stop (the daemon is shutting down); what it had not committed is rolled back
    (a feed it stopped in the middle of writing is marked render-pending and finished by the next run)."""
