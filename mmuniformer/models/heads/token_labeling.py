"""The token-labeling classifier for MMPretrain: MixToken inside
``ImageClassifier.loss``.

Why not a batch augmentation: MMPretrain's ``RandomBatchAugment`` is called
by ``ClsDataPreprocessor`` with the images and the stacked scores only, so
an augmentation there can neither mix the stride-4 token map (it exists
only inside the backbone) nor hand its box to the backbone and the head.
Here the box is drawn once per step, passed to the backbone as a callable
that mixes the map after ``patch_embed1``, and put on every data sample
(``mix_token_box``, the stride-32 box) for the head to un-mix the dense
output and mix the class target
(:class:`mmuniformer.models.heads.cls_heads.TokenLabelingClsHead`).
"""
import functools
from typing import List, Optional, Union

import torch
from mmpretrain.models.classifiers import ImageClassifier

from ...registry import MODELS
from .mix_token import MixToken, batch_flip_box


@MODELS.register_module()
class TokenLabelingClassifier(ImageClassifier):
    """``ImageClassifier`` with MixToken on token-labeled batches.

    Batches whose samples carry ``token_label_target`` are mixed (when
    ``mix_token`` is set); other batches, validation and ``predict`` are
    ``ImageClassifier``'s, so the official TL inference is unchanged.

    Args:
        mix_token (dict | MixToken | None): the box drawer; None switches
            MixToken off. Defaults to ``dict(type='mmuniformer.MixToken')``
            (alpha 1, stride 4, ratio 8: the official setting).
        Others as ``ImageClassifier`` (the backbone's forward must take
        ``mix_token=``, as ``mmuniformer.UniFormerClsBackbone``'s does).
    """

    def __init__(self, *args,
                 mix_token: Optional[Union[dict, MixToken]] = dict(
                     type='mmuniformer.MixToken'),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.mix_token = MODELS.build(mix_token) \
            if isinstance(mix_token, dict) else mix_token

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        if self.mix_token is None or not data_samples or \
                'token_label_target' not in data_samples[0]:
            return super().loss(inputs, data_samples)
        box = self.mix_token.draw(self.mix_token.grid(inputs.shape))
        coarse = self.mix_token.coarse(box)
        for sample in data_samples:
            sample.set_field(coarse, 'mix_token_box', field_type='metainfo')
        feats = self.backbone(
            inputs, mix_token=functools.partial(batch_flip_box, box=box))
        if self.with_neck:
            feats = self.neck(feats)
        return self.head.loss(feats, data_samples)
