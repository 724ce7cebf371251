"""Developer tools, not product code: demo data, synthetic data, the local mail server, fault points."""
