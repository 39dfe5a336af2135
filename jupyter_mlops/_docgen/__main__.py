"""``python -m jupyter_mlops._docgen``: regenerate ``docs/reference/``."""

import sys

from jupyter_mlops._docgen import main

sys.exit(main())
