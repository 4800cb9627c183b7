"""Stacks compose constructs for one deployment; stateful resources live in their own stack."""
