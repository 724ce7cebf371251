"""The compliance database: engine and sessions, models, the audit chain, migrations."""
