"""The official ImageNet UniFormer, for checking weights and image logits.

Not a training recipe (ImageNet classification is out of scope here), but the
same trunk as the dense backbone with the official classification end:
final BatchNorm ``norm`` -> mean over tokens -> Linear ``head``; token
labeling checkpoints add ``0.5 * max over tokens of aux_head(tokens)``.
Its state-dict keys equal the official ImageNet files', so they load with
``strict=True``.
"""
import torch
from torch import nn

from ..registry import MODELS
from .blocks import batch_norm
from .uniformer import UniFormer


@MODELS.register_module()
class UniFormerImageClassifier(UniFormer):
    """``(B, 3, H, W) -> (B, num_classes)`` logits of the official model.

    Args:
        num_classes: rows of ``head`` (1000 for ImageNet-1K).
        token_labeling: add ``aux_head`` (the TL checkpoints' dense head).
        Other arguments as :class:`UniFormer` (``arch``, ``head_dim``...).
    """

    def __init__(self, arch='small', num_classes: int = 1000,
                 token_labeling: bool = False, **kwargs):
        super().__init__(arch=arch, out_indices=(3, ), **kwargs)
        del self.norm4  # the dense backbone's output LN: not in this model
        channels = self.embed_dims[-1]
        self.norm = batch_norm(2, channels)
        self.head = nn.Linear(channels, num_classes)
        self.aux_head = nn.Linear(channels, num_classes) \
            if token_labeling else None

    def _extra_stage_modules(self, stage):
        return [self.norm] if stage == 3 else []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError('UniFormerImageClassifier expects images of '
                             f'shape (B, C, H, W), got {tuple(x.shape)}')
        feat = self.norm(self.forward_stages(x)[3])
        tokens = feat.flatten(2).transpose(1, 2)
        logits = self.head(tokens.mean(1))
        if self.aux_head is not None:
            logits = logits + 0.5 * self.aux_head(tokens).max(1)[0]
        return logits
