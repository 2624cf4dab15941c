"""Checks: passes over a loaded ``Document`` that yield diagnostics (document, references, online)."""
