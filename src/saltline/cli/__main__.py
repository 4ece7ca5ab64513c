"""`python -m saltline.cli`, as the tests and benchmarks call it."""

import sys

from saltline.cli import main

sys.exit(main())
