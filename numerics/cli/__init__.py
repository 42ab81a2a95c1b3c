"""The command line: configs, jobs, report folders and the main job (``interplay reproduce``)."""

from interplay.numerics.cli.main import main

__all__ = ["main"]
