"""UniFormer backbones and the checkpoint adapter."""
from .arch import ARCH_ZOO, resolve_arch
from .blocks import (ConvMlp, ConvStemEmbed, GlobalMHRABlock, LocalMHRABlock,
                     MultiHeadSelfAttention, PatchEmbed, TokenMlp)
from .classifier import UniFormerClsBackbone, UniFormerImageClassifier
from .uniformer import UniFormer
from .uniformer3d import UniFormer3D

__all__ = [
    'ARCH_ZOO', 'resolve_arch', 'ConvMlp', 'ConvStemEmbed', 'GlobalMHRABlock',
    'LocalMHRABlock', 'MultiHeadSelfAttention', 'PatchEmbed', 'TokenMlp',
    'UniFormer', 'UniFormer3D', 'UniFormerClsBackbone',
    'UniFormerImageClassifier'
]
