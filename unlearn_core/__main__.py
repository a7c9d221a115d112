"""``python -m unlearn_core run STUDY.toml [--out DIR] [--scheduler SPEC] [--workers N]`` (see batch)."""

import sys

from .batch import main

if __name__ == "__main__":
    sys.exit(main())
