"""The stages every feature reads: bytes to nodes to a Spec to a Network to an Analysis; problems, rules, limits."""
