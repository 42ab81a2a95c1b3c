"""The family-free machinery of a run: schedules and sample sizes, PRNG keys, compilation and its cache, memory
limits and chunks, divergence reporting."""
