"""Pure core: choosing the context's files and packing them deterministically."""
