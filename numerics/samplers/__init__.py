"""Exact samplers not tied to one family: binomials and multinomials, counts of a sample, Gaussian sufficient
statistics (Bartlett-Wishart)."""
