"""UniFormer backbones and the checkpoint adapter."""
from .arch import ARCH_ZOO, resolve_arch
from .blocks import (ConvMlp, ConvStemEmbed, GlobalMHRABlock, LocalMHRABlock,
                     MultiHeadSelfAttention, PatchEmbed, TokenMlp)
from .classifier import UniFormerClsBackbone, UniFormerImageClassifier
from .light import (PruningMHRABlock, UniFormerLight, UniFormerLight3D,
                    UniFormerLightImageClassifier)
from .uniformer import UniFormer
from .uniformer3d import UniFormer3D

__all__ = [
    'ARCH_ZOO', 'resolve_arch', 'ConvMlp', 'ConvStemEmbed', 'GlobalMHRABlock',
    'LocalMHRABlock', 'MultiHeadSelfAttention', 'PatchEmbed', 'TokenMlp',
    'UniFormer', 'UniFormer3D', 'UniFormerClsBackbone',
    'UniFormerImageClassifier', 'PruningMHRABlock', 'UniFormerLight',
    'UniFormerLight3D', 'UniFormerLightImageClassifier'
]

try:  # the light video head subclasses MMAction2's I3DHead
    import mmaction  # noqa: F401
except ImportError:  # pragma: no cover - MMAction2 is optional
    pass
else:
    from .light_head import UniFormerLightHead  # noqa: F401
    __all__.append('UniFormerLightHead')
