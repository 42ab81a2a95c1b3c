"""numerics keeps a bounded number of compiled functions alive (each ecosystem compiles its own executable, which
holds memory mappings until released; a process has at most vm.max_map_count = 65,530 of them by default)."""

import importlib
import pkgutil

import jax

import interplay.numerics as numerics
from interplay.numerics.driver import compiled_cache
from interplay.theory.examples import two_model_gaussian


def _mappings() -> int:
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def _live_executables() -> int:
    return len(jax.devices()[0].client.live_executables())


def test_compiled_functions_stay_bounded_and_clear_compiled_releases_them(monkeypatch):
    monkeypatch.setattr(compiled_cache, "MAX_COMPILED", 1)
    numerics.clear_compiled()
    executables, mapped = [], []
    for n in range(50, 54):  # four ecosystems, four executables compiled one after the other
        numerics.iterate_population(two_model_gaussian(n=n), 1)
        executables.append(_live_executables())
        mapped.append(_mappings())
    assert compiled_cache.compiled_count() == 1
    assert executables[1:] == executables[:1] * 3  # each new one replaced the last; kept, the count would grow
    held = mapped[-1]
    numerics.clear_compiled()
    released = held - _mappings()
    assert compiled_cache.compiled_count() == 0 and _live_executables() == 0
    # One executable here holds ~100 mappings: released > 30 shows it was counted; kept, the three later
    # ecosystems would have added three times as many as one release gives back.
    assert released > 30
    assert mapped[-1] - mapped[0] < released


def test_every_cache_of_compiled_functions_in_numerics_is_the_shared_bounded_one():
    """A functools cache would keep its own executables beyond MAX_COMPILED and escape clear_compiled."""
    private_caches = []
    for module_info in pkgutil.walk_packages(numerics.__path__, prefix=f"{numerics.__name__}."):
        if module_info.name.endswith("__main__"):  # importing it would run the command line
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if hasattr(value, "cache_clear") and getattr(value, "__module__", None) == module.__name__:
                private_caches.append(f"{module.__name__}.{name}")
    assert private_caches == []
