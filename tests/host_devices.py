"""Code run under four forced host devices: in a fresh process, because the XLA flag must precede jax's start."""

import os
import subprocess
import sys


def run_on_four_host_devices(code: str) -> None:
    """Run ``code`` in a new Python process that sees four CPU devices (asserted); fails if the code fails."""
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=4".strip()
    env = dict(os.environ, XLA_FLAGS=flags)
    check = "import jax; assert len(jax.devices()) == 4; "
    subprocess.run(
        [sys.executable, "-c", check + code], check=True, env=env, timeout=900
    )  # a hang fails, not stalls CI
