"""Where things are; puts the e2e harness (tests/e2e) on the import path."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FIXTURES = BENCH / "fixtures"
sys.path.insert(0, str(ROOT / "tests/e2e"))

from servers import SO  # noqa: E402  (the harness's choice of library)

PHP = "/usr/bin/php"
