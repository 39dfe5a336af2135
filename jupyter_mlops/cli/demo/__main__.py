"""`make demo`: run the lifecycle on the example notebooks where they are (the checkout)."""

import sys

from jupyter_mlops.cli.demo.lifecycle import run_demo

sys.exit(run_demo())
