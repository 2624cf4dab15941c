"""Rendering: the document → body markup for a target, and the template context around it."""
