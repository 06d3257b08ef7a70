"""Building blocks, written once for 2D and 3D, and the CPU kernels."""
from .blocks import (ConvMlp, ConvStemEmbed, GlobalMHRABlock, LocalMHRABlock,
                     MultiHeadSelfAttention, PatchEmbed, TokenMlp)

__all__ = ['ConvMlp', 'ConvStemEmbed', 'GlobalMHRABlock', 'LocalMHRABlock',
           'MultiHeadSelfAttention', 'PatchEmbed', 'TokenMlp']
