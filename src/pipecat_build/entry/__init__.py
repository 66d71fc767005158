"""The two front doors: the GitHub runner's (`github`) and every other CI system's (`cli`).
Both hand their inputs to `job.run_job`."""
