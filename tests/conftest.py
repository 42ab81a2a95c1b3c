import numerics  # noqa: F401  (enables float64 in jax before any test builds an array)
