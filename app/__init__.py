"""t2v: text and documents to narrated videos.

The root package also wires the seed's module-level API to the composition root: core cannot import
the pipeline, so it is handed a factory (`app.core.hooks`) that imports `app.runtime` when called.
"""

from app.core import hooks

__version__ = "0.1.0"


def default_optimizer() -> object:
    """The seed's default optimizer: the composition root over settings from T2V_* variables."""
    from app.runtime import build_runtime

    return build_runtime().system_optimizer(workers=1)


hooks.register_optimizer_factory(default_optimizer)
