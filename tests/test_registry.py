"""The family contract: every registered family provides every hook on both sides, the two registries agree,
an incomplete family is refused at registration, and ``Ecosystem.<constructor>`` exists for every family."""

from types import SimpleNamespace

import pytest
import sympy

from interplay.numerics import registry as numerics_registry
from interplay.numerics.family import NumericsFamily
from interplay.numerics.value_axes import RULES
from interplay.theory import Ecosystem, SpecError
from interplay.theory import registry as theory_registry
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.family import TheoryFamily
from interplay.theory.linear.maps import linear_ecosystem
from interplay.theory.registry import members

SIDES = [(theory_registry, TheoryFamily), (numerics_registry, NumericsFamily)]
OPTIONAL = {
    "exact_point",
    "exact_limits",
    "numerical_population",
    "iterate_summaries",
    "probabilities",
}  # a capability a family may lack: None
ATTRIBUTES = {"name", "constructor", "family_type", "source_type", "methods", "sweep_axes"}
ATTRIBUTES |= {"exact_quantities", "monte_carlo_quantities", "value_fields", "quantity_dims"}


def test_both_registries_list_the_same_families():
    assert theory_registry.names() == numerics_registry.names()
    assert {"gaussian", "categorical", "linear-gaussian"} <= set(theory_registry.names())


@pytest.mark.parametrize(("registry", "protocol"), SIDES)
def test_every_family_provides_every_hook(registry, protocol):
    for family in registry.families():
        assert isinstance(family, protocol)
        for member in members(protocol):
            value = getattr(family, member)
            if member in OPTIONAL and value is None:
                continue
            assert callable(value) or member in ATTRIBUTES, (family.name, member)


def test_the_sweep_capabilities_are_consistent():
    """Exactly one of the two exact sweep hooks is given; Monte Carlo quantities are mc_*, exact ones are not;
    every family sweeps alpha, beta and K and names the dimensions of every quantity (numerics.labelled)."""
    for name in numerics_registry.names():
        numerics = numerics_registry.family(name)
        assert (numerics.exact_point is None) != (numerics.exact_limits is None), name
        assert all(q.startswith("mc_") for q in numerics.monte_carlo_quantities)
        assert not any(q.startswith("mc_") for q in numerics.exact_quantities)
        assert {"alpha", "beta", "K"} <= set(numerics.sweep_axes)
        assert set(numerics.quantity_dims) == set(numerics.exact_quantities) | set(numerics.monte_carlo_quantities)
        rules = {field: rule for field, rule in numerics.value_fields.items() if field != "mixing"}
        assert set(rules.values()) <= set(RULES), name
        assert numerics.value_fields.get("mixing", "row-stochastic") == "row-stochastic", name


@pytest.mark.parametrize(
    ("registry", "protocol", "missing"),
    [(registry, protocol, member) for registry, protocol in SIDES for member in members(protocol)],
)
def test_a_family_missing_a_hook_is_refused_naming_it(registry, protocol, missing):
    complete = vars(registry.family("gaussian"))
    dummy = SimpleNamespace(**{k: v for k, v in complete.items() if k != missing} | {"name": "dummy"})
    if missing == "name":
        dummy = SimpleNamespace(**{k: v for k, v in complete.items() if k != "name"})
    with pytest.raises(TypeError, match=f"lacks '{missing}' of {protocol.__name__}"):
        registry.register(dummy)
    assert "dummy" not in registry.names()


def test_unknown_family_is_a_spec_error():
    with pytest.raises(SpecError, match="family: unknown family 'nope'"):
        numerics_registry.family("nope")
    with pytest.raises(SpecError, match="family: unknown family 'nope'"):
        theory_registry.family(SimpleNamespace(family=SimpleNamespace(name="nope")))


def test_a_constructor_per_family_equals_the_family_function():
    R = sympy.Rational
    categorical = dict(alpha=R(1, 2), beta=R(1, 3), n=10, temperature=2, smoothing=1)
    assert Ecosystem.categorical([[R(1, 2), R(1, 2)], [1, 0]], [R(1, 4), R(3, 4)], **categorical) == (
        categorical_ecosystem([[R(1, 2), R(1, 2)], [1, 0]], [R(1, 4), R(3, 4)], **categorical)
    )
    gram = [[2, 0], [0, 1]]
    linear = dict(private_sizes=[5, 6], public_size=7, synthetic=[[1, 0], [0, 3]], alpha=R(1, 2), n=4)
    made = Ecosystem.linear([1, 2], [gram, gram], gram, **linear)
    assert made == linear_ecosystem([1, 2], [gram, gram], gram, **linear)
    assert made.family.name == "linear-gaussian" and made.K == 2
    assert Ecosystem.gaussian([[0], [2]], [1]).family.name == "gaussian"
    for eco, name in ((made, "linear-gaussian"), (Ecosystem.categorical([[1, 0]], [0, 1]), "categorical")):
        assert isinstance(eco.family, theory_registry.family(name).family_type)
        assert isinstance(eco.public, theory_registry.family(name).source_type)
    constructors = {f.constructor for f in theory_registry.families()}
    assert {"gaussian", "categorical", "linear"} <= constructors <= set(dir(Ecosystem))


def test_only_registered_constructors_exist():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        Ecosystem.nonexistent  # noqa: B018


def test_every_package_folder_is_installed():
    """pyproject.toml lists the installed packages one by one (the folders theory/ and numerics/ install under
    interplay.*): a family folder missing there would import from a checkout but not from an installed wheel."""
    import tomllib

    from paths import ROOT as root

    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {
        "interplay." + ".".join(init.parent.relative_to(root).parts)
        for side in ("theory", "numerics")
        for init in (root / side).rglob("__init__.py")
    }
    assert folders <= listed, sorted(folders - listed)
    assert {
        f"interplay.{side}.{package}" for side in ("theory", "numerics") for package in ("poisson", "linear")
    } <= listed
