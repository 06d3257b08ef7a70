"""The trunk base and the 2D, 3D, light and classification backbones."""
from .base import UniFormerTrunk
from .classifier import UniFormerClsBackbone, UniFormerImageClassifier
from .light import (UniFormerLight, UniFormerLight3D,
                    UniFormerLightImageClassifier, UniFormerLightTrunk)
from .uniformer import UniFormer
from .uniformer3d import UniFormer3D

__all__ = ['UniFormerTrunk', 'UniFormerLightTrunk', 'UniFormer',
           'UniFormer3D', 'UniFormerClsBackbone', 'UniFormerImageClassifier',
           'UniFormerLight', 'UniFormerLight3D',
           'UniFormerLightImageClassifier']
