"""The command line: configs, jobs, report folders and the main job (``interplay reproduce``).

The entry point is :func:`interplay.numerics.cli.main.main` (the ``interplay`` script, ``python -m
interplay.numerics.cli``). It is not re-exported here, so ``interplay.numerics.cli.main`` is always the module.
"""
