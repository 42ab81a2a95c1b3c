"""The installed distribution: one package ``interplay`` with its version, the old top-level names ``theory`` and
``numerics`` not installed, and the exact side importable without jax (so without its float64 switch)."""

import importlib.metadata
import subprocess
import sys

import interplay


def _python(code: str, cwd) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter started in ``cwd`` (outside the repository), with the safe path."""
    return subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_import_interplay_says_its_version():
    assert interplay.__version__ == importlib.metadata.version("interplay")


def test_the_old_top_level_names_are_not_installed(tmp_path):
    for name in ("theory", "numerics"):
        done = _python(f"import {name}", tmp_path)
        assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr, (name, done.stderr)


def test_the_theory_never_loads_jax_and_only_the_numerics_switch_it_to_float64(tmp_path):
    code = (
        "import sys, interplay, interplay.theory\n"
        "print('jax' in sys.modules)\n"
        "import jax\n"
        "print(jax.config.jax_enable_x64)\n"
        "import interplay.numerics\n"
        "print(jax.config.jax_enable_x64)\n"
        "print('xarray' in sys.modules)\n"  # labelled results import it on first use
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "True", "False"]


def test_the_readme_shows_the_whole_public_surface():
    """Every name either half exports is in the README's "The public surface" section (and it fits on a screen)."""
    import re

    from paths import ROOT

    import interplay.numerics
    import interplay.theory

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The public surface", 1)[1].split("\n## ", 1)[0]
    shown = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", section))
    for package in (interplay.theory, interplay.numerics):
        assert set(package.__all__) <= shown, sorted(set(package.__all__) - shown)
    assert len(section.splitlines()) <= 40
