"""UniFormer models: ``arch`` (the variants), ``layers/`` (blocks, pruning
attention, CPU kernels), ``backbones/`` and ``heads/`` (host-specific,
imported by the configs that use them)."""
from .arch import ARCH_ZOO, resolve_arch, stage_channels
from .backbones import (UniFormer, UniFormer3D, UniFormerClsBackbone,
                        UniFormerImageClassifier, UniFormerLight,
                        UniFormerLight3D, UniFormerLightImageClassifier)
from .layers import (ConvMlp, ConvStemEmbed, GlobalMHRABlock, LocalMHRABlock,
                     MultiHeadSelfAttention, PatchEmbed, PruningMHRABlock,
                     TokenMlp)

__all__ = [
    'ARCH_ZOO', 'resolve_arch', 'stage_channels', 'ConvMlp', 'ConvStemEmbed',
    'GlobalMHRABlock', 'LocalMHRABlock', 'MultiHeadSelfAttention',
    'PatchEmbed', 'TokenMlp', 'UniFormer', 'UniFormer3D',
    'UniFormerClsBackbone', 'UniFormerImageClassifier', 'PruningMHRABlock',
    'UniFormerLight', 'UniFormerLight3D', 'UniFormerLightImageClassifier'
]
