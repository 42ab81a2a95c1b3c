"""What a result carries about how it was made, in a form any reader takes: the versions of the packages that
computed it (:func:`versions`) and strict JSON (:func:`strict_json`), shared by result.json
(:mod:`numerics.cli.report`) and the labelled netCDF files (:mod:`numerics.labelled`).
"""

from __future__ import annotations

import json
from importlib import metadata

from interplay.numerics.driver.divergence import finite_or_null


def versions() -> dict[str, str]:
    """Versions of the packages that made a result (and of those that write its netCDF file)."""
    names = ("interplay", "jax", "jaxlib", "numpy", "scipy", "sympy", "matplotlib", "xarray", "h5netcdf", "h5py")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def strict_json(data, indent: int | None = 2) -> str:
    """Strict JSON that any parser reads, keys sorted: every non-finite float (a diverged quantity) becomes null."""
    return json.dumps(finite_or_null(data), indent=indent, sort_keys=True, allow_nan=False)
