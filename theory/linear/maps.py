"""The paper's linear-Gaussian surrogate: K linear regressions retraining on each other's synthetic labels.

Vu, Reeves & Wenger (arXiv 2505.21677, sec. 5): the displayed update is the paper's, the definitions below
are inferred from it.

Real data. Each real source s (private_1..K, then public) is a fixed design X_s (n_s x d) with labels
y_s = X_s theta* + eps_s, eps_s ~ N(0, sigma^2 I). It is given as data or as its normalised Gram
S_s = X_s^T X_s / n_s with its size n_s; rank-deficient S_s are valid (the paper's low-rank setting).

Synthetic data. At round t >= 1 generating model j labels its synthetic design X_j (m = eco.n rows, Gram S_j;
one design common to all models or one per model, fixed across rounds) with its previous fit,
y_{t,j} = X_j theta_{t-1,j} + w_{t,j}, w ~ N(0, sigma^2 I); every model scrapes the same D_{t,j}.

Fit. Model k minimises sum_s w_s |y_s - X_s theta|^2 / n_s with the weights of :mod:`theory.rounds`
((1-alpha) beta private, (1-alpha)(1-beta) public, alpha W[k, j] synthetic of model j). Its minimum-norm
minimiser (pseudo-inverse) is, with b_s = X_s^+ y_s and X^T y = X^T X X^+ y,

    theta_{t,k} = A_{t,k}^+ [ w_priv S~_k b~_k + w_pub S_* b_* + sum_j alpha W_kj S_j (theta_{t-1,j} + X_j^+ w_{t,j}) ],
    A_{t,k}     = w_priv S~_k + w_pub S_* + sum_j alpha W_kj S_j.

Stacked (the paper's displayed equation): theta_t = P_t b + Q_t theta_{t-1} + Q_t X_t^+ w_t, with blocks
(P_t)_{kk} = w_priv A^+ S~_k, (P_t)_{k,K+1} = w_pub A^+ S_*, (Q_t)_{kj} = alpha W_kj A^+ S_j. Unrolled,
theta_t = M_t b + c_t + xi_t with the exact recursions (names from the paper; the definitions are inferred)

    M_0 = P_0,  M_t = P_t + Q_t M_{t-1};   C_0 = 0,  C_t = Q_t (C_{t-1} + D) Q_t^T,   D = sigma^2 blockdiag((m S_j)^+),
    c_0 = 0,  c_t = Q_t c_{t-1};
    E theta_t = M_t E b + c_t,   Cov theta_t = M_t Sigma_b M_t^T + C_t,
    E b_s = S_s^+ S_s theta*,   Sigma_b = sigma^2 blockdiag((n_s S_s)^+).

A given ``start`` (:mod:`theory.start`) is a deterministic round 0, theta_0 = the K x d given parameters: then
M_0 = 0, C_0 = 0 and c_0 = theta_0 (the offset c_t = Q_t ... Q_1 theta_0 is the part of theta_t that the start
carries; it is 0 from the initial fit), and under ``accumulate`` H_0 = A_0 (round 0's data still count, the start
standing in for their fit), as for the other families.

Regimes (real designs always fixed): ``reuse`` -- real labels drawn once (the paper's theory, exactly the above);
``fresh`` -- new real labels every round, so the real noise enters C: C_t = Q C Q^T + N D N^T + P Sigma_b P^T
and Cov theta_t = C_t; ``accumulate`` -- every round's batch is kept (fresh real labels) and the fit is on the
union, each round with equal weight: theta_t = H_t^+ (H_{t-1} theta_{t-1} + r_t), H_t = sum_{i <= t} A_i, so
Q_t = H_t^+ (H_{t-1} + G_t) and the synthetic noise enters through N_t = H_t^+ G_t (N = Q otherwise),
(G_t)_{kj} = alpha W_kj S_j.

``eco.n`` is m, the synthetic sample size of each generating model per round; ``n = None`` is the population
limit of the synthetic data (noise-free synthetic labels, D = 0). Every function below is written once against
an ops object with a ``pinv``: :data:`SYMPY_LINEAR` gives the theory, ``numerics.linear`` gives jax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy

from interplay.theory.ops import SympyOps
from interplay.theory.rounds import RoundPlan, plan_at
from interplay.theory.spec import Ecosystem, PerModel, SpecError, exact, is_numeric, matrix, plain
from interplay.theory.start import start_array
from interplay.theory.symbolic import (
    Layout,
    SymbolicMap,
    all_positions,
    plan_round,
    stacked_symmetric_symbols,
    symmetric_symbols,
    t_symbol,
)


class LinearSympyOps(SympyOps):
    """Sympy ops plus the Moore-Penrose pseudo-inverse (exact; the inverse where a symbolic matrix is invertible)."""

    @staticmethod
    def pinv(a):
        a = sympy.Matrix(a)
        if all(x.is_number for x in a):
            return a.inv() if a.det() != 0 else a.pinv()
        if sympy.simplify(a.det()) != 0:
            return a.inv().applyfunc(sympy.factor)
        return a.pinv()


SYMPY_LINEAR = LinearSympyOps()


# -- the spec: designs and the family ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """A fixed design: its normalised Gram S = X^T X / size (symmetric PSD, rank <= size) and its size.

    Build it from data with :meth:`from_data` (the rows are kept for the Monte Carlo) or from a Gram. ``size`` is
    required for real sources; a synthetic design's size is the ecosystem's ``n``.
    """

    gram: sympy.ImmutableMatrix
    size: int | None = None
    name: str = "design"
    data: tuple | None = None  # the rows of X as a tuple of float tuples, when built from data

    def __post_init__(self):
        gram = matrix(self.gram, f"{self.name}.gram")
        d = gram.shape[0]
        if gram.shape != (d, d):
            raise SpecError(f"{self.name}.gram", f"must be a square matrix, got shape {gram.shape}")
        if gram != gram.T:
            raise SpecError(f"{self.name}.gram", "must be symmetric")
        if self.size is not None and (
            isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) or self.size < 1
        ):
            raise SpecError(f"{self.name}.size", f"must be an integer >= 1 (a sample size), got {self.size!r}")
        if is_numeric(gram):
            eigenvalues = np.linalg.eigvalsh(np.asarray(gram.evalf(), dtype=float))
            scale = max(1.0, float(np.abs(eigenvalues).max()))
            if eigenvalues.min() < -1e-12 * scale:
                raise SpecError(
                    f"{self.name}.gram", f"must be positive semi-definite, smallest eigenvalue {eigenvalues.min():g}"
                )
            rank = int(np.sum(eigenvalues > 1e-10 * scale))
            if self.size is not None and rank > self.size:
                raise SpecError(
                    f"{self.name}.size", f"a Gram of rank {rank} needs at least {rank} samples, got size {self.size}"
                )
        if self.data is not None and (len(self.data) != self.size or any(len(row) != d for row in self.data)):
            raise SpecError(f"{self.name}.data", f"must have {self.size} rows of length {d}")
        object.__setattr__(self, "gram", gram)

    @classmethod
    def from_data(cls, X, name: str = "design") -> Design:
        """The design of the data matrix X (rows are samples): Gram X^T X / rows, size rows."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[0] < 1:
            raise SpecError(f"{name}.data", f"must be a non-empty matrix (rows are samples), got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise SpecError(f"{name}.data", "must be finite")
        gram = X.T @ X / X.shape[0]
        gram = (gram + gram.T) / 2
        return cls(gram, X.shape[0], name, tuple(map(tuple, X.tolist())))

    @property
    def dim(self) -> int:
        return self.gram.shape[0]

    def values(self) -> tuple[sympy.ImmutableMatrix, ...]:
        return (self.gram,)

    def describe(self) -> dict:
        return {"gram": plain(self.gram), "size": self.size, "from_data": self.data is not None}

    def rows(self, size: int | None = None) -> np.ndarray:
        """A data matrix with this design and ``size`` (default its own) samples: the data when given, else
        sqrt(size) Lambda^{1/2} V^T, d rows. The fit depends on a design only through X^T X and
        X^T y ~ N(X^T X theta, sigma^2 X^T X), so any X with the same Gram and size gives the same law of the fit."""
        if self.data is not None:
            return np.asarray(self.data, dtype=float)
        return self.root_rows(size)

    def root_rows(self, size: int | None = None) -> np.ndarray:
        """d rows R = sqrt(size) Lambda^{1/2} V^T with R^T R = size S (S = V Lambda V^T): the smallest data matrix
        with this design and ``size`` (default its own)."""
        size = self.size if size is None else size
        values, vectors = np.linalg.eigh(np.asarray(self.gram.evalf(), dtype=float))
        return np.sqrt(size * np.clip(values, 0.0, None))[:, None] * vectors.T


def _as_design(value, name: str, size=None) -> Design:
    if isinstance(value, Design):
        return value
    return Design(value, size, name) if size is not None or not _looks_like_data(value) else Design.from_data(value)


def _looks_like_data(value) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[0] != value.shape[1]


@dataclass(frozen=True)
class LinearGaussian:
    """Linear regressions y = x^T theta + N(0, sigma^2) fitted by weighted least squares (minimum norm).

    theta: the true parameter theta* (d-vector) of the real data. noise_var: sigma^2 > 0, the label noise of
    real and synthetic data. synthetic: the synthetic design(s): one :class:`Design` common to all generating
    models, or one per model (its Gram; its size is the ecosystem's n). Default: the identity Gram.
    """

    theta: sympy.ImmutableMatrix
    noise_var: object = 1
    synthetic: object = None
    name = "linear-gaussian"
    estimators = ("least-squares",)
    compositions = ("fixed",)
    pools = ("shared",)

    def __post_init__(self):
        theta = matrix(self.theta, "family.theta")
        if theta.shape[1] != 1:
            raise SpecError("family.theta", f"must be a vector, got shape {theta.shape}")
        noise_var = exact(self.noise_var, "family.noise_var")
        if noise_var.is_number and not noise_var > 0:
            raise SpecError("family.noise_var", f"must be > 0, got {float(noise_var):g}")
        d = theta.shape[0]
        synthetic = self.synthetic
        if synthetic is None:
            synthetic = (Design(sympy.eye(d), None, "synthetic"),)
        elif isinstance(synthetic, Design):
            synthetic = (synthetic,)
        elif isinstance(synthetic, Sequence) and all(isinstance(s, Design) for s in synthetic) and synthetic:
            synthetic = tuple(synthetic)
        else:
            raise SpecError("family.synthetic", "expected a Design or a sequence of Designs (one per model)")
        for j, design in enumerate(synthetic):
            if design.dim != d:
                raise SpecError(f"synthetic[{j}].gram", f"has dimension {design.dim}, theta has {d}")
        object.__setattr__(self, "theta", theta)
        object.__setattr__(self, "noise_var", noise_var)
        object.__setattr__(self, "synthetic", synthetic)

    @property
    def dim(self) -> int:
        return self.theta.shape[0]

    @property
    def source_type(self):
        return Design

    def check(self, eco: Ecosystem) -> None:
        if isinstance(eco.n, PerModel):
            raise SpecError("n", "the surrogate's n is the rows m of every synthetic design: one for all models")
        eco.refuse_nested_public("the linear surrogate (one public design for all models)")
        for name, source in eco.named_sources():
            if source.dim != self.dim:
                raise SpecError(f"{name}.gram", f"has dimension {source.dim}, theta has {self.dim}")
            if source.size is None:
                raise SpecError(f"{name}.size", "real data need a sample size")
        if len(self.synthetic) not in (1, eco.K):
            raise SpecError("family.synthetic", f"give 1 common design or K = {eco.K}, got {len(self.synthetic)}")
        for j, design in enumerate(self.synthetic):
            if design.size is not None and design.size != eco.n:
                raise SpecError("n", f"synthetic[{j}] has {design.size} rows, so n must be {design.size}, got {eco.n}")
            rank = np.linalg.matrix_rank(np.asarray(design.gram.evalf(), dtype=float)) if is_numeric(design.gram) else 0
            if eco.n is not None and rank > eco.n:
                raise SpecError("n", f"synthetic[{j}] has rank {rank}, so it needs n >= {rank} samples, got {eco.n}")

    def synthetic_designs(self, K: int) -> tuple[Design, ...]:
        return self.synthetic * K if len(self.synthetic) == 1 else self.synthetic

    def values(self) -> tuple[sympy.ImmutableMatrix, ...]:
        return (self.theta, sympy.ImmutableMatrix([[self.noise_var]])) + tuple(s.gram for s in self.synthetic)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "dim": self.dim,
            "theta": plain(self.theta),
            "noise_var": plain(self.noise_var),
            "synthetic": [s.describe() for s in self.synthetic],
        }


def linear_ecosystem(
    theta, private, public, *, synthetic=None, noise_var=1, private_sizes=None, public_size=None, **options
) -> Ecosystem:
    """A linear-Gaussian ecosystem.

    ``private`` (one per model) and ``public``: a :class:`Design`, a data matrix (rows are samples; a numpy
    array that is not square) or a Gram matrix with its size in ``private_sizes`` / ``public_size``.
    ``synthetic``: a Gram or Design (common to all models) or a list of them (one per model); default identity.
    ``options``: the other :class:`~theory.spec.Ecosystem` fields (alpha, beta, mixing, n, regime).
    """
    private = list(private)
    sizes = [None] * len(private) if private_sizes is None else list(private_sizes)
    if len(sizes) != len(private):
        raise SpecError("private_sizes", f"expected {len(private)} sizes, one per model, got {len(sizes)}")
    designs = tuple(_as_design(p, f"private[{k}]", s) for k, (p, s) in enumerate(zip(private, sizes)))
    if synthetic is not None and not isinstance(synthetic, Design):
        many = isinstance(synthetic, (list, tuple)) and (
            isinstance(synthetic[0], Design) or np.asarray(synthetic[0], dtype=object).ndim == 2
        )
        synthetic = (
            tuple(_as_design(s, f"synthetic[{j}]") for j, s in enumerate(synthetic))
            if many
            else _as_design(synthetic, "synthetic")
        )
    family = LinearGaussian(theta, noise_var, synthetic)
    return Ecosystem(family, _as_design(public, "public", public_size), designs, **options)


# -- the data the maps need, as arrays of the ops backend -------------------------------------------------------


class LinearData(NamedTuple):
    """The numbers of the designs, in the order of b (private_1..K, public); arrays of one ops backend.

    real_grams: K+1 Grams S_s; real_sizes: K+1 sizes n_s; synthetic_grams: K Grams S_j (one per generating
    model); theta: d x 1; noise_var: sigma^2; synthetic_scale: 1 / m (0 in the population limit n = None).
    """

    real_grams: object
    real_sizes: object
    synthetic_grams: object
    theta: object
    noise_var: object
    synthetic_scale: object


def linear_data(eco: Ecosystem, ops=SYMPY_LINEAR) -> LinearData:
    family = eco.family
    sources = list(eco.private) + [eco.public]
    return LinearData(
        [ops.asarray(s.gram) for s in sources],
        [ops.scalar(s.size) for s in sources],
        [ops.asarray(s.gram) for s in family.synthetic_designs(eco.K)],
        ops.asarray(family.theta),
        ops.scalar(family.noise_var),
        ops.scalar(0 if eco.n is None else sympy.Rational(1, eco.n)),
    )


def block(matrix, k: int, d: int):
    """Rows k*d .. (k+1)*d of a stacked matrix: model k's block."""
    return matrix[k * d : (k + 1) * d, :]


def real_statistics(eco: Ecosystem, data: LinearData, ops=SYMPY_LINEAR):
    """(E b, Sigma_b): E b_s = S_s^+ S_s theta* (projections of theta*), Sigma_b = sigma^2 blockdiag((n_s S_s)^+)."""
    grams = data.real_grams
    mean_b = ops.vstack([ops.pinv(g) @ g @ data.theta for g in grams])
    sigma_b = ops.block_diag([data.noise_var / n * ops.pinv(g) for g, n in zip(grams, data.real_sizes)])
    return mean_b, sigma_b


def synthetic_noise(eco: Ecosystem, data: LinearData, ops=SYMPY_LINEAR):
    """D = sigma^2 blockdiag((m S_j)^+) = Cov(X_t^+ w_t); zero in the population limit."""
    return ops.block_diag([data.noise_var * data.synthetic_scale * ops.pinv(g) for g in data.synthetic_grams])


class Dynamics(NamedTuple):
    """One round theta_t = P b + Q theta_{t-1} + N X_t^+ w_t (N = Q unless accumulate).

    P: Kd x (K+1)d, Q and N: Kd x Kd, normal: the stacked Kd x d normal matrices H_{t,k} (A_{t,k} unless
    accumulate, where H_t = H_{t-1} + A_t).
    """

    P: object
    Q: object
    N: object
    normal: object


def dynamics(eco: Ecosystem, data: LinearData, plan: RoundPlan, previous_normal=None, ops=SYMPY_LINEAR) -> Dynamics:
    """P_t, Q_t, N_t of a round with the given plan; ``previous_normal`` is H_{t-1} (accumulate) or None."""
    K, d = eco.K, eco.dim
    real, synthetic = data.real_grams, data.synthetic_grams
    zero = ops.zeros(d, d)
    rows_P, rows_Q, rows_N, normals = [], [], [], []
    for k in range(K):
        w_private, w_public = plan.w_private[k, 0], plan.w_public[k, 0]
        received = [plan.w_synthetic[k, j] * synthetic[j] for j in range(K)]
        previous = zero if previous_normal is None else block(previous_normal, k, d)
        normal = previous + w_private * real[k] + w_public * real[K] + sum(received, zero)
        inverse = ops.pinv(normal)
        private_blocks = [inverse @ (w_private * real[k]) if j == k else zero for j in range(K)]
        rows_P.append(ops.hstack(private_blocks + [inverse @ (w_public * real[K])]))
        rows_N.append(ops.hstack([inverse @ g for g in received]))
        rows_Q.append(ops.hstack([inverse @ (g + previous) if j == k else inverse @ g for j, g in enumerate(received)]))
        normals.append(normal)
    return Dynamics(ops.vstack(rows_P), ops.vstack(rows_Q), ops.vstack(rows_N), ops.vstack(normals))


class LinearMoments(NamedTuple):
    """The state of the exact recursion: theta_t = M_t b + c_t + xi_t, C_t = Cov(xi_t) (plus, under ``fresh``
    and ``accumulate``, the real-label noise of every round), the accumulated normal matrices (accumulate) and
    the offset c_t that a given start carries (0 from the initial fit)."""

    M: object  # Kd x (K+1)d
    C: object  # Kd x Kd
    normal: object  # Kd x d
    offset: object  # Kd x 1


def zero_moments(eco: Ecosystem, ops=SYMPY_LINEAR) -> LinearMoments:
    K, d = eco.K, eco.dim
    return LinearMoments(
        ops.zeros(K * d, (K + 1) * d), ops.zeros(K * d, K * d), ops.zeros(K * d, d), ops.zeros(K * d, 1)
    )


def moment_step(eco: Ecosystem, data: LinearData, moments: LinearMoments, plan: RoundPlan, ops=SYMPY_LINEAR):
    """M_t = P_t + Q_t M_{t-1};  C_t = Q_t C_{t-1} Q_t^T + N_t D N_t^T  [+ P_t Sigma_b P_t^T unless reuse];
    c_t = Q_t c_{t-1}."""
    accumulate = eco.regime == "accumulate"
    step = dynamics(eco, data, plan, moments.normal if accumulate else None, ops)
    M = step.P + step.Q @ moments.M
    C = step.Q @ moments.C @ step.Q.T + step.N @ synthetic_noise(eco, data, ops) @ step.N.T
    if eco.regime != "reuse":
        C = C + step.P @ real_statistics(eco, data, ops)[1] @ step.P.T
    normal = step.normal if accumulate else moments.normal
    return LinearMoments(M, C, normal, step.Q @ moments.offset)


def started_moments(initial: LinearMoments, theta) -> LinearMoments:
    """The moments of the deterministic round 0 ``theta`` (Kd x 1), from those of the ``initial`` fit: M_0 = 0,
    C_0 = 0, c_0 = theta, and the initial fit's normal matrices H_0 (accumulate: round 0's data still count)."""
    return initial._replace(M=0 * initial.M, C=0 * initial.C, offset=theta)


def parameter_moments(eco: Ecosystem, data: LinearData, moments: LinearMoments, ops=SYMPY_LINEAR):
    """(E theta_t, Cov theta_t) stacked: M_t E b + c_t and M_t Sigma_b M_t^T + C_t (reuse) or C_t (fresh,
    accumulate)."""
    mean_b, sigma_b = real_statistics(eco, data, ops)
    cov = moments.C + moments.M @ sigma_b @ moments.M.T if eco.regime == "reuse" else moments.C
    return moments.M @ mean_b + moments.offset, cov


def population_step(eco: Ecosystem, data: LinearData, theta, normal, plan: RoundPlan, ops=SYMPY_LINEAR):
    """The noise-free map (theta_{t-1}, H_{t-1}) -> (P_t E b + Q_t theta_{t-1}, H_t): the mean dynamics."""
    accumulate = eco.regime == "accumulate"
    step = dynamics(eco, data, plan, normal if accumulate else None, ops)
    mean_b, _ = real_statistics(eco, data, ops)
    return step.P @ mean_b + step.Q @ theta, step.normal if accumulate else normal


def start_state(eco: Ecosystem, start) -> sympy.ImmutableMatrix:
    """A given round-0 state (:mod:`theory.start`): the K x d fitted parameters theta_k, one row per model, stacked
    Kd x 1 (exact; SpecError naming ``start`` otherwise)."""
    K, d = eco.K, eco.dim
    theta = start_array(start, (K, d), f"K x d = {K} x {d} parameters, one row per model")
    return sympy.ImmutableMatrix(K * d, 1, list(theta.ravel()))


def _round_zero(eco: Ecosystem, data: LinearData, start) -> LinearMoments:
    """The exact moments of round 0: the initial fit's, or those of the given ``start`` (:func:`started_moments`)."""
    initial = moment_step(eco, data, zero_moments(eco), plan_at(eco, 0, population=True, ops=SYMPY_LINEAR))
    return initial if start is None else started_moments(initial, start_state(eco, start))


def exact_moments(eco: Ecosystem, rounds: int, start=None) -> list[LinearMoments]:
    """M_t, C_t (and H_t, c_t) for t = 0..rounds in exact sympy arithmetic: the initial fit or the given ``start``
    (K x d parameters, :func:`start_state`), then the update rounds."""
    eco.check_rounds(rounds)
    data = linear_data(eco)
    moments = _round_zero(eco, data, start)
    trajectory = []
    for t in range(rounds + 1):
        if t:
            moments = moment_step(eco, data, moments, plan_at(eco, t, population=True, ops=SYMPY_LINEAR))
        moments = LinearMoments(*(sympy.Matrix(m).applyfunc(sympy.simplify) for m in moments))
        trajectory.append(moments)
    return trajectory


# -- the maps as sympy expressions ---------------------------------------------------------------------------


def _normal_part(eco: Ecosystem, layout: Layout):
    """The accumulated normal matrices: state under ``accumulate`` (listed first), else a zero constant."""
    K, d = eco.K, eco.dim
    if eco.regime == "accumulate":
        normal, positions = stacked_symmetric_symbols("H", K, d)
        layout.add("normal", ("normal", normal, positions))
        return normal
    normal = sympy.zeros(K * d, d)
    layout.constant("normal", normal)
    return normal


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The mean dynamics of round t >= 1: theta_k -> (P E b + Q theta)_k; its Jacobian is Q_t."""
    K, d = eco.K, eco.dim
    layout = Layout()
    normal = _normal_part(eco, layout)
    theta = sympy.Matrix([sympy.Symbol(f"theta_{{{k + 1}{i + 1}}}", real=True) for k in range(K) for i in range(d)])
    layout.add("theta", ("theta", theta, all_positions(K * d, 1)))
    plan = plan_at(eco, plan_round(eco, t), population=True, ops=SYMPY_LINEAR)
    new_theta, new_normal = population_step(eco, linear_data(eco), theta, normal, plan)
    return layout.build("population", eco, {"theta": new_theta, "normal": new_normal})


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact recursion of round t >= 1: theta_t = M_t b + c_t + xi_t. Its state's parts (:class:`LinearMoments`):

    ``normal``  Kd x d, the accumulated normal matrices H<k> (state under ``accumulate`` only);
    ``M``       Kd x (K+1)d, the paper's M_t, the weights of the real least-squares solutions b;
    ``offset``  Kd x 1, c_t, what a given start carries (0 from the initial fit);
    ``C``       Kd x Kd, Cov(xi_t), the synthetic (and, unless ``reuse``, real-label) noise accumulated.

    :func:`theory.long_run` (``of="moments"``) names what they give: :mod:`theory.linear.longrun`.
    """
    K, d = eco.K, eco.dim
    layout = Layout()
    normal = _normal_part(eco, layout)
    M = sympy.Matrix(K * d, (K + 1) * d, lambda i, j: sympy.Symbol(f"M_{{{i + 1},{j + 1}}}", real=True))
    layout.add("M", ("M", M, all_positions(K * d, (K + 1) * d)))
    offset = sympy.Matrix([sympy.Symbol(f"c_{{{i + 1}}}", real=True) for i in range(K * d)])
    layout.add("offset", ("offset", offset, all_positions(K * d, 1)))
    C, positions = symmetric_symbols("C", K * d)
    layout.add("C", ("C", C, positions))
    plan = plan_at(eco, plan_round(eco, t), population=True, ops=SYMPY_LINEAR)
    new = moment_step(eco, linear_data(eco), LinearMoments(M, C, normal, offset), plan)
    return layout.build("moments", eco, new._asdict())


def initial_state(fmap: SymbolicMap, start=None) -> list:
    """The flat state of ``fmap`` at round 0: after the initial fit, theta_0 = P_0 E b, or (M_0, c_0 = 0, C_0); or
    at the given ``start`` (:func:`start_state`), theta_0 = start, or (M_0 = 0, c_0 = start, C_0 = 0), with the
    initial fit's H_0 under ``accumulate``."""
    eco = fmap.ecosystem
    data = linear_data(eco)
    if fmap.name == "population":
        K, d = eco.K, eco.dim
        plan = plan_at(eco, 0, population=True, ops=SYMPY_LINEAR)
        theta, normal = population_step(eco, data, sympy.zeros(K * d, 1), sympy.zeros(K * d, d), plan)
        return fmap.pack(theta=theta if start is None else start_state(eco, start), normal=normal)
    moments = _round_zero(eco, data, start)
    return fmap.pack(**moments._asdict())
