"""Where the tests find the repository's files, wherever in tests/ the test module sits."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
EXAMPLES = ROOT / "examples"  # one documented config per family
DATA = ROOT / "tests" / "data"  # recorded reference numbers and the scripts that made them
EXECUTED_NOTEBOOKS = ROOT / "build" / "notebooks"  # the notebooks as the tests ran them, for the docs (docs/hooks.py)
