"""MMPretrain head for the token-labeling UniFormer checkpoints.

Imported by the classification configs (``custom_imports``), not by
``mmuniformer.models``: it needs MMPretrain, which the other hosts do not.
"""
from typing import List, Tuple

import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from torch import nn

from ...registry import MODELS
from .mix_token import MixToken, batch_flip_box


def _mmpretrain_scope():
    """The losses of these MMPretrain heads are MMPretrain's: built in its
    scope whatever scope is current (MMAction2's has a CrossEntropyLoss
    without ``use_soft``)."""
    from mmengine.registry import DefaultScope
    return DefaultScope.overwrite_default_scope('mmpretrain')


@MODELS.register_module()
class TokenLabelingClsHead(LinearClsHead):
    """``fc(mean of tokens) + aux_weight * max over tokens of aux_fc``.

    The inference of the official token-labeling classifier:
    ``head(mean tokens) + 0.5 * max_tokens(aux_head(tokens))``; the
    official TL top-1 numbers are measured with it. MMPretrain has no head
    that combines a pooled and an unpooled branch, so this one extends its
    ``LinearClsHead`` (``fc`` = official ``head``) with ``aux_fc``
    (official ``aux_head``); loss, accuracy and ``predict`` are
    ``ClsHead``'s, applied to the summed logits. It takes the unpooled
    stage-4 map, so the classifier has no neck.

    Training, two ways:

    * data samples with ``token_label_target`` (token labeling,
      :class:`mmuniformer.datasets.transforms.token_labels.
      PackTokenLabelInputs`): the official loss, ``cls_loss(fc(mean),
      crop-level target) + dense_loss(aux_fc(token), its token target)``,
      the dense term averaged over all ``B x N`` tokens with equal weight,
      both soft-target cross-entropies (the smoothing is already in the
      targets), weights 1 / 1 in the official run. Under MixToken
      (``mix_token_box`` on the samples, set by
      :class:`mmuniformer.models.heads.token_labeling.
      TokenLabelingClassifier`) the per-token logits are un-mixed with the
      stride-32 box first, and the class target is mixed with the box's
      area, ``lam * t + (1 - lam) * t[flipped batch]``.
    * otherwise (plain class labels): ``loss`` on the summed logits, as
      ``ClsHead``.

    Args:
        aux_weight (float): weight of the max-pooled ``aux_fc`` logits at
            inference. Defaults to 0.5.
        cls_loss (dict): token labeling's class loss. Defaults to a soft
            ``CrossEntropyLoss`` of weight 1.
        dense_loss (dict): token labeling's per-token loss (weight 0
            switches it off). Defaults to a soft ``CrossEntropyLoss`` of
            weight 1.
        Others as ``LinearClsHead`` (``loss``: the plain-label loss).
    """

    def __init__(self, num_classes: int, in_channels: int,
                 aux_weight: float = 0.5,
                 cls_loss: dict = dict(type='CrossEntropyLoss', use_soft=True,
                                       loss_weight=1.0),
                 dense_loss: dict = dict(type='CrossEntropyLoss',
                                         use_soft=True, loss_weight=1.0),
                 **kwargs):
        with _mmpretrain_scope():
            super().__init__(num_classes, in_channels, **kwargs)
            self.cls_loss = MMPRETRAIN_MODELS.build(cls_loss)
            self.dense_loss = MMPRETRAIN_MODELS.build(dense_loss)
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

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List,
             **kwargs) -> dict:
        if not data_samples or 'token_label_target' not in data_samples[0]:
            return super().loss(feats, data_samples, **kwargs)
        tokens = self.pre_logits(feats)
        height, width = feats[-1].shape[-2:]
        cls_score = self.fc(tokens.mean(1)).float()
        dense = self.aux_fc(tokens).float()
        batch, num_tokens, num_classes = dense.shape
        target = torch.stack([s.token_label_target for s in data_samples])
        target = target.to(dense)
        if tuple(target.shape[1:]) != (1 + num_tokens, num_classes):
            side = round((target.shape[1] - 1)**0.5)
            raise ValueError(
                f'token_label_target of shape {tuple(target.shape[1:])} for '
                f'a {height}x{width} token map and {num_classes} classes: '
                f'need ({1 + num_tokens}, {num_classes}); set '
                f'PackTokenLabelInputs(label_size={height}) (now {side}) '
                'and num_classes to the model\'s')
        cls_target, dense_target = target[:, 0], target[:, 1:]
        box = data_samples[0].get('mix_token_box', None)
        if box is not None:
            dense = batch_flip_box(
                dense.transpose(1, 2).reshape(batch, num_classes, height,
                                              width), box)
            dense = dense.flatten(2).transpose(1, 2)
            lam = MixToken.lam(box, num_tokens)
            if lam < 1:
                cls_target = lam * cls_target + \
                    (1 - lam) * cls_target.flip(0)
        return dict(
            loss_cls=self.cls_loss(cls_score, cls_target),
            loss_dense=self.dense_loss(
                dense.reshape(-1, num_classes),
                dense_target.reshape(-1, num_classes)))


@MODELS.register_module()
class LightClsHead(LinearClsHead):
    """The official ImageNet light head: ``fc(mean of the map)``, plus the
    training-only cls-token branch ``head_cls(norm_cls(cls token))``.

    Takes :class:`mmuniformer.models.backbones.light_classifier.
    UniFormerLightClsBackbone`'s ``(map, cls token)``. Inference (and
    accuracy) use ``fc`` alone, as the official evaluation; the training
    loss is ``(1 - cls_weight) * loss(fc) + cls_weight * loss(head_cls)``
    with the configured ``loss`` (official: 0.5 / 0.5 soft-target CE on the
    Mixup / CutMix targets). MMPretrain has no head with a second branch on
    a cls token of a convolutional backbone, hence this one.

    Args:
        cls_weight (float): weight of the cls-token branch. Defaults to 0.5.
        Others as ``LinearClsHead``.
    """

    def __init__(self, num_classes: int, in_channels: int,
                 cls_weight: float = 0.5, **kwargs):
        with _mmpretrain_scope():
            super().__init__(num_classes, in_channels, **kwargs)
        # official: LayerNorm eps 1e-5 on the cls token, Linear head
        self.norm_cls = nn.LayerNorm(in_channels, eps=1e-5)
        self.head_cls = nn.Linear(in_channels, num_classes)
        self.cls_weight = float(cls_weight)

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        feat = feats[0]
        if feat.dim() != 4 or len(feats) != 2:
            raise ValueError(
                'LightClsHead needs (map (B, C, H, W), cls token (B, C)) '
                'from mmuniformer.UniFormerLightClsBackbone, got '
                f'{[tuple(f.shape) for f in feats]}: build the '
                'ImageClassifier with neck=None')
        return feat.flatten(2).mean(-1)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        return self.fc(self.pre_logits(feats))

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List,
             **kwargs) -> dict:
        main = self._get_loss(self(feats), data_samples, **kwargs)
        side = self._get_loss(self.head_cls(self.norm_cls(feats[1])),
                              data_samples, **kwargs)
        losses = {k: v for k, v in main.items() if k != 'loss'}
        losses['loss_head'] = (1 - self.cls_weight) * main['loss']
        losses['loss_head_cls'] = self.cls_weight * side['loss']
        return losses
