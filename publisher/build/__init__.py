"""The build: article folders → checked documents → written outputs, with the cache and workers."""
