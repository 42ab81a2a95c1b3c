"""Curation of synthetic data: model j's outputs are filtered by a reward before anyone trains on them.

Ferbach, Bertrand, Bose & Gidel 2024 ("Self-consuming generative models with curated data provably optimize human
preferences", NeurIPS 2024) model a user who is shown k samples of a model and keeps one by a Bradley-Terry (K-wise
Plackett-Luce) choice: among Y_1..Y_k iid from the model's sampling law p, sample l is kept with probability
exp(r(Y_l)) / sum_l' exp(r(Y_l')); each kept (curated) sample is the winner of an independent k-tuple. The spec's
``curation={"best_of": k, "reward": [r_1, ..., r_m]}`` curates every model's outputs; ``{"per_model": [c_0, ...,
c_{K-1}]}`` those of the models whose entry is such a table (``None``: not curated). Curation belongs to the model
whose outputs are filtered (the producer, as the users of Ferbach et al. post what they picked): whoever scrapes model
j gets its curated samples, so curating model 0 alone reaches model k through W[k, 0].

The law of one curated sample, with w_i = exp(r_i) (by symmetry of the k places, k times that of the first place
winning with category i):

    q_i(p) = p_i E[k w_i / (w_i + sum_{l=1}^{k-1} w_{Y_l})],   Y_l iid p,

    = p_i sum_{c in N^m, |c| = k - 1} (k - 1)! / prod_l c_l! prod_l p_l^{c_l} k w_i / (w_i + c . w),

a polynomial sum over the multinomial counts c of the k - 1 other draws (C(k + m - 2, m - 1) terms): exact in sympy,
the same arithmetic compiled by jax (:func:`curated_columns` takes sympy scalars or jax arrays alike). k = 1 is no
curation (q = p). Near a vertex e_* of a unique maximiser r_* (Ferbach et al.: with only curated synthetic data the
fits concentrate on argmax r) q_i(p) = p_i k w_i / (w_i + (k - 1) w_*) + O(|p - e_*|^2) for i != *, so the mass off
the maximiser decays geometrically, by the factor (:func:`vertex_rates`)

    rho_i = k w_i / (w_i + (k - 1) w_*) < 1   per round (the population map's multipliers at the vertex).

Curated samples are iid from q(p_j) given the past, so Monte Carlo draws the k-tuples and the choices themselves;
q is not affine in p, so the finite-n moment recursion does not close (refused naming ``curation``).

Threshold curation of a Gaussian model (d = 1; issue 15: the truncation the filter "keep x > c" makes): the spec's
``curation={"threshold": c}`` (or a ``per_model`` entry) keeps only model j's outputs x > c, so each synthetic
sample is drawn from N(m_j, s_j^2) truncated to (c, inf). With a = (c - m) / s and the inverse Mills ratio
lambda(a) = phi(a) / (1 - Phi(a)) (phi, Phi the standard normal density and distribution function),

    E[x | x > c] = m + s lambda(a),        Var[x | x > c] = s^2 (1 + a lambda(a) - lambda(a)^2)

(:func:`truncated_moments`; checked against numerical integration of the truncated density). The
weighted MLE sees its sources only through their means and scatters, so the population map is the Gaussian one
with these moments in place of (m_j, s_j^2) wherever model j's outputs are a source (:mod:`theory.gaussian.maps`);
they are not affine in (m, s^2), so the finite-n moment recursion does not close (refused naming ``curation``).
Iterated with synthetic data alone (one model, alpha = 1) the map raises the mean and shrinks the variance every
round (0 < 1 + a lambda - lambda^2 < 1), but the mean does not grow without bound: I = 2 s^2 + (m - c)^2 obeys
I' = I - s^2 lambda^2 exactly (expand the two moments), so m_t - c < sqrt(I_0) forever and the increasing mean
converges to a finite m_inf; were s to stay away from 0, delta would converge and I fall by at least a fixed
amount every round, so s -> 0 and
delta = (m - c) / s -> inf (once m - c >> s nearly nothing is cut: the map tends to the identity). For large delta,
delta' - delta ~ delta^2 phi(delta) / 2, whence delta_t^2 = 2 log t + 6 log delta_t - 2 log(2 sqrt(2 pi)) + o(1)
and s_t^2 ~ (m_inf - c)^2 / delta_t^2 ~ (m_inf - c)^2 / (2 log t): the variance vanishes only logarithmically
(tests/validation/test_ferbach_2024_gaussian.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from interplay.theory.spec import PerModel, SpecError, exact, plain

MAX_BEST_OF = 64
"""k beyond this makes the exact law's C(k + m - 2, m - 1) terms and the Monte Carlo's k draws per sample costly."""


@dataclass(frozen=True)
class BestOf:
    """Best-of-k Bradley-Terry curation: the kept sample is category i of a k-tuple with probability proportional
    to exp(r_i) (the module doc). ``reward``: r_1..r_m, exact numbers (a sympy expression such as log(2) allowed)."""

    best_of: int
    reward: tuple

    def weights(self) -> list:
        """w_i = exp(r_i), exact (a reward log(2) gives the weight 2)."""
        return [sympy.exp(r) for r in self.reward]

    def float_weights(self) -> np.ndarray:
        """(m,) float64 exp(r_i - max r), each from the exact value (the shift leaves every choice unchanged and
        keeps the weights finite)."""
        top = max(self.reward)
        return np.array([float(sympy.exp(r - top)) for r in self.reward], dtype=np.float64)

    def describe(self) -> dict:
        return {"best_of": self.best_of, "reward": plain(self.reward)}


@dataclass(frozen=True)
class Threshold:
    """Threshold curation of a Gaussian model's outputs (d = 1): only samples x > ``threshold`` are kept, each
    kept sample drawn from the model's law truncated to (c, inf) (the module doc). ``threshold``: an exact number."""

    threshold: object

    def describe(self) -> dict:
        return {"threshold": plain(self.threshold)}


def _threshold(value, parameter: str) -> Threshold:
    c = exact(value["threshold"], f"{parameter}.threshold")
    if not (c.is_number and c.is_finite and c.is_real):
        raise SpecError(f"{parameter}.threshold", f"must be a finite real number, got {c}")
    return Threshold(c)


def _best_of(value, parameter: str) -> BestOf | Threshold:
    if isinstance(value, (BestOf, Threshold)):
        return value
    if isinstance(value, Mapping) and set(value) == {"threshold"}:
        return _threshold(value, parameter)
    if not isinstance(value, Mapping) or set(value) != {"best_of", "reward"}:
        raise SpecError(
            parameter, f'expected {{"best_of": k, "reward": [r_1, ..., r_m]}} or {{"threshold": c}}, got {value!r}'
        )
    k = value["best_of"]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_BEST_OF:
        raise SpecError(f"{parameter}.best_of", f"must be an integer in 1..{MAX_BEST_OF}, got {k!r}")
    reward = value["reward"]
    if not isinstance(reward, (Sequence, np.ndarray)) or isinstance(reward, str) or len(reward) < 2:
        raise SpecError(f"{parameter}.reward", f"must be a list of one number per category (m >= 2), got {reward!r}")
    numbers = tuple(exact(r, f"{parameter}.reward[{i}]") for i, r in enumerate(reward))
    for i, r in enumerate(numbers):
        if not (r.is_number and r.is_finite and r.is_real):
            raise SpecError(f"{parameter}.reward[{i}]", f"must be a finite real number, got {r}")
    return BestOf(int(k), numbers)


def curation_option(value, K: int):
    """The spec's ``curation``: None; one :class:`BestOf` (categorical) or :class:`Threshold` (Gaussian) for every
    model; or a :class:`PerModel` of K entries, each one of them or None (that model's outputs are not curated;
    best_of = 1 is stored as None). SpecError naming ``curation`` otherwise."""
    if value is None:
        return None
    if isinstance(value, PerModel) or (isinstance(value, Mapping) and set(value) == {"per_model"}):
        entries = value if isinstance(value, PerModel) else value["per_model"]
        if not isinstance(entries, (Sequence, np.ndarray)) or isinstance(entries, str) or len(entries) != K:
            raise SpecError("curation.per_model", f"needs one entry per model (K = {K}): a table or None")
        parsed = PerModel(_uncurated(e, f"curation.per_model[{k}]") for k, e in enumerate(entries))
        return None if all(e is None for e in parsed) else parsed
    return _uncurated(value, "curation")


def _uncurated(value, parameter: str) -> BestOf | Threshold | None:
    """None for None or a best-of-1 (a single draw: no curation, q = p; the way a config, which has no None, leaves
    a model uncurated), else the :class:`BestOf` or :class:`Threshold`."""
    curation = None if value is None else _best_of(value, parameter)
    return None if curation is None or getattr(curation, "best_of", None) == 1 else curation


def model_curations(curation, K: int) -> tuple:
    """K entries, model j's :class:`BestOf`, :class:`Threshold` or None."""
    if curation is None:
        return (None,) * K
    return tuple(curation) if isinstance(curation, PerModel) else (curation,) * K


def described(curation):
    """The option as plain data (the form the spec takes)."""
    if curation is None:
        return None
    if isinstance(curation, PerModel):
        return {"per_model": [None if c is None else c.describe() for c in curation]}
    return curation.describe()


def curation_names(curation, K: int) -> list:
    """The spec's name of model k's curation entry, for every k: ``curation`` or ``curation.per_model[k]``."""
    return [f"curation.per_model[{k}]" if isinstance(curation, PerModel) else "curation" for k in range(K)]


def require_kind(curation, kind: type, family: str) -> None:
    """SpecError naming the entry unless every curated model's entry is a ``kind`` (:class:`BestOf` for the
    categorical family, :class:`Threshold` for the Gaussian one)."""
    K = len(curation) if isinstance(curation, PerModel) else 1
    options = {BestOf: '{"best_of": k, "reward": [...]}', Threshold: '{"threshold": c}'}
    for entry, name in zip(model_curations(curation, K), curation_names(curation, K)):
        if entry is not None and not isinstance(entry, kind):
            raise SpecError(name, f"the {family} family's curation is {options[kind]}, got {entry.describe()}")


def require_curated_process(eco, regimes: tuple[str, ...], what: str) -> None:
    """SpecError naming ``regime``, ``pool`` or ``composition`` unless the process is one that curated outputs
    (``what``) have maps and Monte Carlo for: one of ``regimes``, each model's own draws (``own`` pool) of the
    ``fixed`` composition."""
    for name, value, allowed in (
        ("regime", eco.regime, regimes),
        ("pool", eco.pool, ("own",)),
        ("composition", eco.composition, ("fixed",)),
    ):
        if value not in allowed:
            raise SpecError(name, f"{what} take {name} {', '.join(allowed)}, got {value!r}")


def shifted(curation, shift):
    """The option with every threshold lowered by ``shift`` (the thresholds in coordinates whose origin is at
    ``shift``: :func:`theory.gaussian.maps.centred`); best-of entries unchanged."""

    def moved(entry):
        return Threshold(entry.threshold - shift) if isinstance(entry, Threshold) else entry

    if curation is None:
        return None
    if isinstance(curation, PerModel):
        return PerModel(moved(entry) for entry in curation)
    return moved(curation)


def truncated_moments(mean, var, threshold, sqrt, inverse_mills):
    """(E[x | x > c], Var[x | x > c]) of x ~ N(mean, var) (the module doc): m + s lambda(a), s^2 (1 + a lambda(a)
    - lambda(a)^2), a = (c - m) / s, given the functions ``sqrt`` and ``inverse_mills`` (lambda) of the arithmetic
    in use: :func:`sympy_inverse_mills` for the exact map, a log-space one in numerics (numerics.gaussian.step)."""
    s = sqrt(var)
    a = (threshold - mean) / s
    ratio = inverse_mills(a)
    return mean + s * ratio, var * (1 + a * ratio - ratio**2)


def sympy_inverse_mills(a):
    """lambda(a) = phi(a) / (1 - Phi(a)) = sqrt(2 / pi) exp(-a^2 / 2) / erfc(a / sqrt(2)), exact."""
    return sympy.sqrt(2 / sympy.pi) * sympy.exp(-(a**2) / 2) / sympy.erfc(a / sympy.sqrt(2))


def check_categories(curation, m: int) -> None:
    """SpecError naming the reward unless every reward has one entry per category."""
    for k, c in enumerate(model_curations(curation, len(curation) if isinstance(curation, PerModel) else 1)):
        if c is not None and len(c.reward) != m:
            name = f"curation.per_model[{k}].reward" if isinstance(curation, PerModel) else "curation.reward"
            raise SpecError(name, f"has {len(c.reward)} entries, the family has m = {m} categories")


def compositions(total: int, parts: int):
    """Every c in N^parts with sum total, with its multinomial coefficient total! / prod c_l!."""
    for cuts in itertools.combinations(range(total + parts - 1), parts - 1):
        c = tuple(b - a - 1 for a, b in zip((-1, *cuts), (*cuts, total + parts - 1)))
        yield c, math.factorial(total) // math.prod(math.factorial(x) for x in c)


def curated_columns(columns: Sequence, weights: Sequence, best_of: int) -> list:
    """q(p) of the module doc, column by column: ``columns[i]`` holds p_i (a sympy scalar, or a jax array of the
    p_i of several rows), ``weights[i]`` w_i (scalars, or arrays broadcasting with the columns); plain arithmetic,
    so sympy gives it exactly and jax compiles the same definition. The other draws' law is p / sum p: on the
    simplex the same, and it makes q homogeneous of degree one, sum q = sum p, where the plain polynomial has
    sum q = (sum p)^k, so that a rounding error in sum p would grow k-fold per round of an iterated map."""
    m, k = len(columns), best_of
    if k == 1:
        return list(columns)
    total = sum(columns[1:], start=columns[0])  # 1 (sympy: identically); floats: keeps sum q = sum p (below)
    expectation = [0] * m
    for c, coefficient in compositions(k - 1, m):
        monomial = coefficient * math.prod(((columns[l] / total) ** c[l] for l in range(m) if c[l]), start=1)
        others = sum((c[l] * weights[l] for l in range(m) if c[l]), start=0)
        for i in range(m):
            expectation[i] = expectation[i] + monomial * (k * weights[i] / (weights[i] + others))
    return [columns[i] * expectation[i] for i in range(m)]


def curated_law(probs, curation: BestOf | None) -> sympy.Matrix:
    """Exact q(p) (m x 1) of one probability vector ``probs`` (sympy entries, symbols allowed)."""
    probs = sympy.Matrix(probs)
    if curation is None:
        return probs
    return sympy.Matrix(curated_columns(list(probs), curation.weights(), curation.best_of))


def expected_reward(probs, reward) -> sympy.Expr:
    """E_p[r] = sum_i p_i r_i."""
    return sum((p * r for p, r in zip(probs, reward)), start=sympy.Integer(0))


def vertex_rates(curation: BestOf) -> list:
    """rho_i = k w_i / (w_i + (k - 1) w_*) for every category (1 at the maximisers): the factor by which p_i shrinks
    per round near the vertex of a unique maximiser under curated synthetic data alone (module doc)."""
    weights, k = curation.weights(), curation.best_of
    top = max(weights)
    return [k * w / (w + (k - 1) * top) if w != top else sympy.Integer(1) for w in weights]


def require_uncurated(eco, what: str) -> None:
    """SpecError naming ``curation`` where ``what`` (a path of the theory or numerics) has no curated maps."""
    if getattr(eco, "curation", None) is not None:
        raise SpecError("curation", f"{what} does not take curated synthetic data (use the population map or simulate)")
