"""Building blocks, written once for 2D and 3D, the token-pruning
attention of the light models and the CPU kernels."""
from .blocks import (ConvMlp, ConvStemEmbed, GlobalMHRABlock, LocalMHRABlock,
                     MultiHeadSelfAttention, PatchEmbed, TokenMlp)
from .pruning import PruningMHRABlock, ScoredAttention

__all__ = ['ConvMlp', 'ConvStemEmbed', 'GlobalMHRABlock', 'LocalMHRABlock',
           'MultiHeadSelfAttention', 'PatchEmbed', 'PruningMHRABlock',
           'ScoredAttention', 'TokenMlp']
