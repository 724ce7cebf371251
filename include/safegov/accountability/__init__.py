"""Accountability (问责): the ladder for missed obligations, the accident and hazard rules, cases and
their approval, the blacklist, the one-vote-veto report."""
