"""One writer per format; each wraps the same rendered body and writes atomically."""
