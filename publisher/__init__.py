"""publisher: one canonical article in; a web page, a print PDF and an EPUB out, all checked."""

__version__ = "0.1.0"
