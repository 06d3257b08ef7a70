"""mmuniformer: UniFormer backbones for the OpenMMLab 2.0 stack.

Importing the package is cheap and changes no runner behaviour: it creates
the registries and applies the import-time fixes of :mod:`mmuniformer.compat`
(they make broken host releases importable; the module docstring says why
each may run at import). Everything that changes how a run behaves is asked
for by a config: ``runner_type='mmuniformer.Runner'``,
``mmuniformer.CheckpointHook``, ``mmuniformer.QuietLogsHook`` and the other
hooks of :mod:`mmuniformer.engine`. The models register themselves when the
registry is first used (``locations``) or when ``mmuniformer.models`` is
imported.
"""
from . import compat
from .registry import HOOKS, MODELS
from .version import __version__, version_info

compat.apply_all()

__all__ = ['HOOKS', 'MODELS', '__version__', 'version_info']
