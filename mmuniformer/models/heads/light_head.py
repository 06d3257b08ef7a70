"""MMAction2 head of the light video UniFormer (imports MMAction2).

MMAction2's ``I3DHead`` computes the official inference path (mean pool +
``head``). What it lacks is the training-only cls-token branch of the light
models: ``norm_cls`` (LayerNorm eps 1e-5) -> ``head_cls`` on the backbone's
final cls token, whose cross-entropy the official recipe adds with weight
0.5 to the ``head`` one. This head adds that branch; prediction uses the
``head`` (``fc_cls``) logits alone, as officially.
"""
from typing import Dict

import torch
from mmaction.models.heads import I3DHead
from torch import nn

from ...registry import MODELS
from ..layers.blocks import EMBED_LN_EPS, layer_norm


@MODELS.register_module()
class UniFormerLightHead(I3DHead):
    """I3D head + the light models' training cls-token head.

    Input: ``(map (B, C, T, H, W), cls (B, C))`` from
    ``UniFormerLight3D(return_cls_token=True)`` (a plain map is accepted
    too: then the cls branch is off). Loss: ``(1 - w) * CE(fc_cls) +
    w * CE(head_cls)`` reported as ``loss_cls`` and ``loss_cls_token``, with
    ``w = cls_token_loss_weight`` (official 0.5; 0 disables the branch).

    Checkpoint names: ``fc_cls`` = official ``head``, ``norm_cls`` /
    ``head_cls`` = official ``norm_cls`` / ``head_cls``.
    """

    def __init__(self, num_classes: int, in_channels: int,
                 cls_token_loss_weight: float = 0.5, dropout_ratio=0.,
                 **kwargs):
        super().__init__(num_classes, in_channels,
                         dropout_ratio=dropout_ratio, **kwargs)
        if not 0 <= cls_token_loss_weight <= 1:
            raise ValueError('cls_token_loss_weight must be in [0, 1], got '
                             f'{cls_token_loss_weight}')
        self.cls_token_loss_weight = float(cls_token_loss_weight)
        self.norm_cls = layer_norm(in_channels, EMBED_LN_EPS)
        self.head_cls = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.trunc_normal_(self.head_cls.weight, std=.02)
        nn.init.zeros_(self.head_cls.bias)

    def forward(self, x, **kwargs) -> torch.Tensor:
        """``head`` logits (the official inference output)."""
        if isinstance(x, (tuple, list)):
            x = x[0]
        return super().forward(x)

    def forward_cls_token(self, cls: torch.Tensor) -> torch.Tensor:
        """``head_cls`` logits of the cls token (training branch)."""
        return self.head_cls(self.norm_cls(cls))

    def loss(self, feats, data_samples, **kwargs) -> Dict:
        losses = self.loss_by_feat(self(feats), data_samples)
        w = self.cls_token_loss_weight
        if not isinstance(feats, (tuple, list)) or w == 0:
            return losses
        aux = self.loss_by_feat(self.forward_cls_token(feats[1]),
                                data_samples)
        losses['loss_cls'] = (1 - w) * losses['loss_cls']
        losses['loss_cls_token'] = w * aux['loss_cls']
        return losses
