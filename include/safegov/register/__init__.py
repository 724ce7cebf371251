"""The register: obligation and rule schemas, loading, and the submission contract."""
