"""MMPretrain head for the token-labeling UniFormer checkpoints.

Imported by the classification configs (``custom_imports``), not by
``mmuniformer.models``: it needs MMPretrain, which the other hosts do not.
"""
from typing import Tuple

import torch
from mmpretrain.models.heads import LinearClsHead
from torch import nn

from ...registry import MODELS


@MODELS.register_module()
class TokenLabelingClsHead(LinearClsHead):
    """``fc(mean of tokens) + aux_weight * max over tokens of aux_fc``.

    The inference of the official token-labeling models (reference §3, TL
    file): ``head(mean tokens) + 0.5 * max_tokens(aux_head(tokens))``; the
    official TL top-1 numbers are measured with it. MMPretrain has no head
    that combines a pooled and an unpooled branch, so this one extends its
    ``LinearClsHead`` (``fc`` = official ``head``) with ``aux_fc``
    (official ``aux_head``); loss, accuracy and ``predict`` are
    ``ClsHead``'s, applied to the summed logits. It takes the unpooled
    stage-4 map, so the classifier has no neck.

    Training: the official dense token-label loss (per-token targets from
    NFNet-F6 label maps) and MixToken have no MMPretrain equivalent; the
    configs train the summed logits with the class loss only.

    Args:
        aux_weight: weight of the max-pooled ``aux_fc`` logits (0.5).
        Others as ``LinearClsHead``.
    """

    def __init__(self, num_classes: int, in_channels: int,
                 aux_weight: float = 0.5, **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        self.aux_fc = nn.Linear(in_channels, num_classes)
        self.aux_weight = float(aux_weight)

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        feat = feats[-1]
        if feat.dim() != 4:
            raise ValueError(
                'TokenLabelingClsHead needs the unpooled (B, C, H, W) map of '
                f'the backbone, got shape {tuple(feat.shape)}: build the '
                'ImageClassifier with neck=None')
        return feat.flatten(2).transpose(1, 2)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        tokens = self.pre_logits(feats)
        return self.fc(tokens.mean(1)) + \
            self.aux_weight * self.aux_fc(tokens).amax(1)
