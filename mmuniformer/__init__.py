"""mmuniformer: UniFormer backbones for the OpenMMLab 2.0 stack."""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
