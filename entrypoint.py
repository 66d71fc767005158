"""Container entrypoint: `python entrypoint.py` with the inputs in INPUT_* variables."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from pipecat_build.entry.github import run

if __name__ == "__main__":
    sys.exit(run(os.environ))
