"""``python -m interplay.numerics.cli``: the ``interplay`` command."""

import sys

from interplay.numerics.cli.main import main

sys.exit(main())
