"""Errors that mean "bad input": the CLI prints them as one line and exits non-zero."""


class SafegovError(Exception):
    """A user-facing error with a one-line reason."""

    exit_code = 2


class CalendarRangeError(ValueError):
    """A date in a year whose official holidays are known neither from the chinesecalendar
    package nor from ``config/holidays.yaml``; ``year`` is that year."""

    def __init__(self, message: str, *, year: int):
        super().__init__(message)
        self.year = year
