"""Shared foundations: periods and the working-day calendar, clock, settings, errors, grades, credit codes."""
