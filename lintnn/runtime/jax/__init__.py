"""JAX half of the runtime shim; import only through :mod:`lintnn.jax` (needs jax)."""
