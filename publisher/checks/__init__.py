"""Checks: passes over a loaded ``Document`` that yield diagnostics (the document itself, its
references, and, opt-in, the identifiers looked up online)."""
