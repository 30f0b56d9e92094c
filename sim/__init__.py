"""groomsim: an agent-based simulator of children's exposure to online grooming.

Quick use::

    import sim
    model = sim.run(["population.n_children=2000", "days=90"])   # returns the finished model
    print(model.summary()["children_sexual_communication"])

or from the shell: ``python -m sim population.n_children=2000 days=90``.
"""

from __future__ import annotations

__version__ = "0.1.0"


def run(overrides: list[str] | None = None, progress: bool | None = None):
    """Build and run a model from the project's config with ``overrides``; return the model."""
    from sim.model import GroomingModel

    return GroomingModel(overrides=overrides).run(progress=progress)


def __getattr__(name):  # lazy imports keep `import sim` fast
    if name == "GroomingModel":
        from sim.model import GroomingModel

        return GroomingModel
    if name in ("load_sweep", "run_sweep"):
        from sim import sweep

        return getattr(sweep, name)
    if name == "load_config":
        from sim.config import load_config

        return load_config
    raise AttributeError(name)


__all__ = ["GroomingModel", "__version__", "load_config", "load_sweep", "run", "run_sweep"]
