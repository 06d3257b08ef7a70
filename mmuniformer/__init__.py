"""mmuniformer: UniFormer backbones for the OpenMMLab 2.0 stack.

Importing the package is cheap: it applies the compatibility fixes of
:mod:`mmuniformer.compat` and creates the registry. The models register
themselves when the registry is first used (``locations``) or when
``mmuniformer.models`` is imported.
"""
from . import compat, quiet_logs
from .registry import HOOKS, MODELS
from .version import __version__, version_info

compat.apply_all()
quiet_logs.apply_all()

__all__ = ['HOOKS', 'MODELS', '__version__', 'version_info']
