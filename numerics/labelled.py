"""Labelled results: every result as an ``xarray.Dataset`` with named dimensions, saved as netCDF without loss.

A result class (:class:`numerics.driver.results.Labelled`: the exact trajectories and Monte Carlo results of every
family, sensitivities (:class:`numerics.sensitivity.Sensitivity`), branches of fixed points
(:class:`numerics.continuation.Branch`), the linear limit law :class:`numerics.linear.longrun.LongRun`) declares its
arrays' dimension names once, in ``dims``, and :func:`labelled` builds the Dataset;
:meth:`numerics.sweeps.Grid.to_xarray` labels a sweep (:func:`grid_dataset`); quantities computed from a result (its
homogenisation measures) are labelled with its provenance by :func:`derived_dataset`.

Dimensions: ``replicate``, ``round``, ``model``, ``component`` (Gaussian, linear-Gaussian) or ``category``
(categorical), and ``model2``, ``component2``, ``category2`` for the second index of a covariance; the
linear-Gaussian recursion's stacked ``parameter`` (model k's component i at k d + i) and ``source_parameter``; a
sensitivity's ``symbol`` (of the state) and ``parameter``, a branch's ``point``, ``symbol`` and ``multiplier``; a
grid's swept axes, named as swept (``alpha``, ``public.mean[0]``), then its quantity's own (the family's
``quantity_dims``). Coordinates: positions 0, 1, ... as in the arrays (model k is ``model=k``, as in the spec path
``private[k]``), the rounds 0..T (round T alone for a Monte Carlo result kept at its final round), the swept values,
the state symbols and parameter names. So ``ds["mean"].sel(model=1, round=3)`` is ``result.mean[3, 1]``
(index variables as ``ds["mean"]``: ``ds.mean`` is xarray's reduction), and ``ds.to_dataframe()`` is a tidy table.

Attributes (netCDF holds text, numbers and numeric arrays; anything else is stored as its JSON text, as in
result.json): ``interplay_result`` (the class), ``family``, ``spec`` (the spec, ``json.loads(ds.attrs["spec"])``),
``versions`` (JSON), and where the result has them ``kind`` (``moments`` or ``population``), ``method``, ``seed``,
``key`` (the PRNG key's uint32 words), ``settings`` (JSON), and whatever the caller adds.

A named answer of the theory (:func:`theory.long_run`) becomes a Dataset by :func:`answer_dataset`, its axes'
labels as coordinates.

Files: :func:`save_result` writes netCDF-4 through h5netcdf (HDF5), atomically: float64 bit for bit, int64 and
uint32 (seeds, keys, integer axes) and Unicode text exactly, and groups, so one file holds several results
(``interplay simulate`` writes ``exact`` and ``monte_carlo`` beside the job's attributes). :func:`load_result`
reads a file, or one group of it, back whole. xarray is imported on first use, not by ``import interplay.numerics``.
"""

from __future__ import annotations

import numbers

import numpy as np

from interplay.numerics.files import write_atomically
from interplay.numerics.provenance import strict_json, versions

ENGINE = "h5netcdf"


def attribute(value):
    """A netCDF attribute: text and numbers as they are, numeric arrays as arrays, anything else (a bool, a dict,
    a list) as its strict JSON text."""
    if isinstance(value, str) or (isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value
    return strict_json(value.tolist() if isinstance(value, np.ndarray) else value, indent=None)


def attributes(values: dict) -> dict:
    """:func:`attribute` of each value; None values are left out."""
    return {name: attribute(value) for name, value in values.items() if value is not None}


def _provenance(result) -> dict:
    """What made a result: its class, family and spec (of its map's ecosystem for a map's fixed points), its kind
    and method, its seed and key, the versions."""
    found = {"interplay_result": type(result).__name__}
    eco = getattr(result, "ecosystem", None) or getattr(getattr(result, "fmap", None), "ecosystem", None)
    if eco is not None:
        found |= {"family": eco.family.name, "spec": eco.describe()}
    for name in ("kind", "method", "seed"):
        found[name] = getattr(result, name, None)
    if getattr(result, "key", None) is not None:
        found["key"] = np.asarray(result.key, dtype=np.uint32)
    return found | {"versions": versions()}


def _trailing(dims: tuple[str, ...], ndim: int) -> tuple[str, ...]:
    """The last ``ndim`` names: an array with fewer axes than declared drops the leading ones."""
    return dims[len(dims) - ndim :]


def _dataset(variables: dict, coordinates: dict, attrs: dict):
    """A Dataset of ``variables`` {name: (dims, array)}: every dimension gets ``coordinates[dim]`` or the
    positions 0, 1, ... as its coordinate."""
    import xarray as xr

    sizes = {}
    for dims, array, *_ in variables.values():
        sizes.update(zip(dims, np.shape(array)))
    coords = {
        dim: np.asarray(coordinates[dim]) if dim in coordinates else np.arange(size) for dim, size in sizes.items()
    }
    return xr.Dataset(variables, coords=coords, attrs=attributes(attrs))


def labelled(result, **attrs):
    """``result`` (a :class:`numerics.driver.results.Labelled`) as an ``xarray.Dataset``: each array of its class's
    ``dims`` with those dimension names (the trailing ones if it has fewer axes), coordinates as in the module doc,
    its provenance and ``attrs`` as attributes."""
    variables = {}
    for name, dims in type(result).dims.items():
        array = np.asarray(getattr(result, name))
        if array.ndim > len(dims):
            raise ValueError(f"{type(result).__name__}.{name} has {array.ndim} axes but {len(dims)} names: {dims}")
        variables[name] = (_trailing(dims, array.ndim), array)
    coordinates = dict(result.coordinates())
    sizes = {dim: size for dims, array in variables.values() for dim, size in zip(dims, array.shape)}
    rounds = getattr(result, "rounds", None)
    if rounds is not None and "round" in sizes and "round" not in coordinates:
        coordinates["round"] = np.arange(rounds + 1)[-sizes["round"] :]  # 0..T, or T alone
    return _dataset(variables, coordinates, _provenance(result) | result.attributes() | attrs)


def derived_dataset(result, variables: dict, coordinates: dict, **attrs):
    """A Dataset of quantities computed from ``result`` (``variables`` {name: (dims, array)}, e.g. its homogenisation
    measures, :mod:`numerics.homogenisation_measures`) with the result's provenance and ``attrs`` as attributes."""
    return _dataset(variables, coordinates, _provenance(result) | attrs)


def grid_dataset(grid, dims: dict | None = None, **attrs):
    """A :class:`numerics.sweeps.Grid` as an ``xarray.Dataset``: each quantity over the swept axes (coordinates:
    their values) and then its own dimensions, from ``dims`` {quantity: names}, else the family's
    ``quantity_dims`` (a standard error ``q_se`` as ``q``; the trailing names where a K axis keeps model 1's
    entry), else ``q_0``, ``q_1``, ...; attributes: the spec, the settings, the seed if any, the versions."""
    from interplay.numerics import registry

    names = tuple(name for name, _ in grid.axes)
    family_name = grid.spec.get("family", {}).get("name")
    known = registry.family(family_name).quantity_dims if family_name in registry.names() else {}
    declared = known | (dims or {})
    variables = {}
    for quantity, value in grid.values.items():
        extra = np.ndim(value) - len(names)
        own = declared.get(quantity, declared.get(quantity.removesuffix("_se")))
        if own is None or len(own) < extra:
            own = tuple(f"{quantity}_{i}" for i in range(extra))
        variables[quantity] = (names + _trailing(tuple(own), extra), np.asarray(value))
    provenance = {"interplay_result": "Grid", "family": family_name, "spec": grid.spec, "settings": grid.settings}
    provenance |= {"seed": grid.settings.get("seed"), "versions": versions()}
    return _dataset(variables, {name: values for name, values in grid.axes}, provenance | attrs)


def answer_dataset(answer, **attrs):
    """A named answer (:class:`theory.named.NamedAnswer`, e.g. of :func:`theory.long_run`) as an
    ``xarray.Dataset``: one variable per quantity, its dimensions and their labels (``"model 1"``, ``"private 2"``,
    ``"public"``) from the quantity's axes, its ``meaning`` as an attribute. A quantity whose entries are all real
    numbers is float64, with its exact entries (sympy text: ``"4449/15775"``) in the attribute ``exact``; any other
    (a symbolic expression, a condition) is text. Attributes: ``kind`` (the map it was computed from), the
    versions and ``attrs`` (e.g. the spec)."""
    import sympy

    variables, coordinates = {}, {}
    for name in answer:
        quantity = answer.quantity(name)
        entries = quantity.array()
        coordinates |= {dim: np.asarray(labels, dtype=str) for dim, labels in quantity.axes}
        flat = [sympy.sympify(entry) for entry in entries.ravel()]
        exact = np.array([str(entry) for entry in flat]).reshape(entries.shape)
        meaning = {"meaning": quantity.meaning}
        if all(entry.is_number and entry.is_extended_real for entry in flat):
            values = np.array([float(entry) for entry in flat], dtype=np.float64).reshape(entries.shape)
            meaning["exact"] = strict_json(exact.tolist(), indent=None)
        else:
            values = exact
        variables[name] = (quantity.dims, values, meaning)
    provenance = {"interplay_result": "NamedAnswer", "kind": answer.kind, "versions": versions()}
    return _dataset(variables, coordinates, provenance | attrs)


def save_result(path, data, **attrs) -> None:
    """Write a labelled result (an ``xarray.Dataset`` or a result with ``to_xarray``), or ``{group: result}`` (one
    group each, :func:`load_result` ``(path, group)`` reads one), to the netCDF file ``path``, atomically
    (:mod:`numerics.files`); ``attrs`` become attributes of the file's root (:func:`attribute`)."""
    import xarray as xr

    from interplay.theory.named import NamedAnswer

    def dataset(item):
        if isinstance(item, NamedAnswer):
            return answer_dataset(item)
        return item if isinstance(item, xr.Dataset) else item.to_xarray()

    if isinstance(data, dict):
        root = xr.Dataset(attrs=attributes(attrs))
        labelled_data = xr.DataTree.from_dict({"/": root} | {group: dataset(item) for group, item in data.items()})
    else:
        labelled_data = dataset(data).assign_attrs(attributes(attrs))
    content = labelled_data.to_netcdf(engine=ENGINE)  # the file's bytes (HDF5 writes need a readable stream)
    write_atomically(path, lambda stream: stream.write(content))


def load_result(path, group: str | None = None):
    """The ``xarray.Dataset`` in the netCDF file ``path`` (the root, or ``group``: e.g. ``"exact"`` or
    ``"monte_carlo"`` of ``interplay simulate``'s result.nc), read whole and the file closed."""
    import xarray as xr

    return xr.load_dataset(path, engine=ENGINE, group=group)
