"""One writer per format; each renders the body for its target (``render.targets``),
wraps it and writes atomically."""
