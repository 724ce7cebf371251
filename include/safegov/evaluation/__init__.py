"""Internals of the evaluation engine; the public module is ``safegov.evaluation.engine``."""
