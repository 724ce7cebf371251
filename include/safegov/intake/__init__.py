"""Intake of submissions: readers, validation (Great Expectations), loaders, the ingest pipeline, late data, quality."""
