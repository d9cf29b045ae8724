"""The static half of lintnn: a libcst analyzer. Imports neither torch nor jax."""
