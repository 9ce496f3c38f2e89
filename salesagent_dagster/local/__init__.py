"""Running the product on one machine: the embedded instance, the sandbox, one-shot ticks."""
