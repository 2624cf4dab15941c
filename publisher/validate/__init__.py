"""Outside judges on built outputs: EPUBCheck and the Nu HTML Checker → our diagnostics."""
