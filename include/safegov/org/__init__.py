"""The organisation: units, the unit tree and the post-holder directory."""
