"""`python -m pipecat_build` runs the action exactly as the container's entrypoint does."""

import os
import sys

from .entry.github import run

if __name__ == "__main__":
    sys.exit(run(os.environ))
