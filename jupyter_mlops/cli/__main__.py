"""``python -m jupyter_mlops.cli``: the same as ``jupyter-mlops``."""

import sys

from jupyter_mlops.cli import console_main

sys.exit(console_main())
