"""The command line: the ``publish`` entry point and its Typer commands."""
