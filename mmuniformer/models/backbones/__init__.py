"""The trunk base and the 2D, 3D, light and classification backbones."""
from .classifier import UniFormerClsBackbone, UniFormerImageClassifier
from .light import (PruningMHRABlock, UniFormerLight, UniFormerLight3D,
                    UniFormerLightImageClassifier)
from .uniformer import UniFormer
from .uniformer3d import UniFormer3D

__all__ = ['UniFormer', 'UniFormer3D', 'UniFormerClsBackbone',
           'UniFormerImageClassifier', 'PruningMHRABlock', 'UniFormerLight',
           'UniFormerLight3D', 'UniFormerLightImageClassifier']
