"""The ``safegov`` command line."""
