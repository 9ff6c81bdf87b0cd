"""python -m tinyml_lab: the tinyml-lab command (see cli.py)."""

import sys

from .cli import main

sys.exit(main())
