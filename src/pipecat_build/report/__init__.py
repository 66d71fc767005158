"""Where a run ends up: outputs, the job summary, error lines, and the reporters that carry them."""
