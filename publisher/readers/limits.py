"""Reading limits: how deep an article may nest, and how large a table may be.

In: nothing. Out: the limits the reader (``pandocast``) keeps: what nests deeper than
``MAX_NESTING`` is flattened with an error at its first place; a table over the limits is
refused with an error.
"""

from __future__ import annotations

MAX_NESTING = 16
"""Quotes and lists may nest this deep, and so may emphasis and links; deeper is an error."""
MAX_TABLE_COLUMNS = 64
MAX_TABLE_CELLS = 20_000
