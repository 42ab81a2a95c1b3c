"""Stand-ins for the sweep's evaluation of one chunk: interrupted after some chunks (Ctrl-C), or counted (resume)."""

from interplay.numerics import sweeps

EVALUATE = sweeps._evaluate_sharded  # the real evaluation of one chunk


def interrupt_after(monkeypatch, chunks: int) -> None:
    """The sweep computes ``chunks`` chunks, then raises KeyboardInterrupt as it starts the next one."""
    computed = []

    def interrupted(*args):
        if len(computed) == chunks:
            raise KeyboardInterrupt
        computed.append(1)
        return EVALUATE(*args)

    monkeypatch.setattr(sweeps, "_evaluate_sharded", interrupted)


def count_chunks(monkeypatch) -> list:
    """A list that gets one entry for every chunk the sweep computes from now on."""
    computed = []
    monkeypatch.setattr(sweeps, "_evaluate_sharded", lambda *args: computed.append(1) or EVALUATE(*args))
    return computed
