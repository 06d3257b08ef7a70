"""UniFormer models: ``layers/`` (blocks, CPU kernels), ``backbones/`` and
``heads/`` (host-specific, imported by the configs that use them)."""
from .arch import ARCH_ZOO, resolve_arch
from .backbones import (PruningMHRABlock, UniFormer, UniFormer3D,
                        UniFormerClsBackbone, UniFormerImageClassifier,
                        UniFormerLight, UniFormerLight3D,
                        UniFormerLightImageClassifier)
from .layers import (ConvMlp, ConvStemEmbed, GlobalMHRABlock, LocalMHRABlock,
                     MultiHeadSelfAttention, PatchEmbed, TokenMlp)

__all__ = [
    'ARCH_ZOO', 'resolve_arch', 'ConvMlp', 'ConvStemEmbed', 'GlobalMHRABlock',
    'LocalMHRABlock', 'MultiHeadSelfAttention', 'PatchEmbed', 'TokenMlp',
    'UniFormer', 'UniFormer3D', 'UniFormerClsBackbone',
    'UniFormerImageClassifier', 'PruningMHRABlock', 'UniFormerLight',
    'UniFormerLight3D', 'UniFormerLightImageClassifier'
]
