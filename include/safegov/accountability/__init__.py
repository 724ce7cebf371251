"""Accountability: the escalation ladder, accident and hazard rules, cases, the blacklist, the veto report."""
