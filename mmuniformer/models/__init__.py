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

# Host-specific heads (light_head: MMAction2, cls_heads: MMPretrain) are not
# imported here, so `import mmuniformer` needs no host; the configs that use
# them name the module in `custom_imports`.
