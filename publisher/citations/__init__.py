"""Citations: the bibliography's entries and the formatting of citations and reference lists."""
