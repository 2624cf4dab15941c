"""Collections: several articles as one book (EPUB, PDF) and a set of linked web pages.

``spec`` reads ``collections/<name>.yaml``; ``rights.collections`` checks the licences across it;
``assemble`` runs every article through the per-article pipeline (``build.pipeline``: load,
check, prepare; ``render.body.render`` per target) and scopes each article's ids; ``epub``,
``pdf`` and ``web`` wrap what comes out. Nothing here re-reads Markdown or re-formats citations.
"""
