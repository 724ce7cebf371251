"""Errors that mean "bad input": the CLI prints them as one line and exits non-zero."""


class SafegovError(Exception):
    """A user-facing error with a one-line reason."""

    exit_code = 2
