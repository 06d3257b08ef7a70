"""Host limits documented in docs/faq.md ("Training and fine-tuning"):
MMSegmentation's UPerHead cannot train on one image per batch (its 1x1
pyramid-pooling branch is BatchNorm-normalised), the GroupNorm override
given there fixes it, and Semantic FPN trains with batch 1."""
import argparse
import os.path as osp

import pytest
import torch
from mmengine.config import Config, DictAction

import mmuniformer  # noqa: F401

from conftest import REPO  # noqa: E402  (the repository root)
SEG_DIR = osp.join(REPO, 'configs', 'segmentation', 'uniformer')
UPERNET = osp.join(SEG_DIR,
                   'upernet_uniformer-s-h14_8xb2-160k_ade20k-512x512.py')
FPN = osp.join(SEG_DIR, 'fpn_uniformer-s-h14_8xb4-80k_ade20k-512x512.py')
TINY = dict(depths=(1, 1, 2, 1), embed_dims=(16, 32, 64, 64), head_dim=16)
# the override printed in docs/faq.md
GN_OPTIONS = ('model.decode_head.norm_cfg.type=GN '
              'model.decode_head.norm_cfg.num_groups=32 '
              'model.auxiliary_head.norm_cfg.type=GN '
              'model.auxiliary_head.norm_cfg.num_groups=32').split()


def _parse(options):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def _train_step_batch1(config, options=()):
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(_parse(options))
    model = cfg.model
    model.backbone.update(arch=TINY, head_dim=16, init_cfg=None)
    if 'neck' in model:  # Semantic FPN
        model.neck.update(in_channels=[16, 32, 64, 64], out_channels=32)
        model.decode_head.update(in_channels=[32] * 4, channels=32)
    else:
        # 64 channels: GroupNorm(32) keeps 2 values per group on 1x1 maps
        model.decode_head.update(in_channels=[16, 32, 64, 64], channels=64)
        model.auxiliary_head.update(in_channels=64, channels=64)
    init_default_scope('mmseg')
    net = revert_sync_batchnorm(MODELS.build(model)).train()
    sample = SegDataSample(metainfo=dict(img_shape=(64, 64),
                                         pad_shape=(64, 64)))
    sample.gt_sem_seg = PixelData(
        data=torch.randint(0, 150, (1, 64, 64), dtype=torch.long))
    losses = net.loss(torch.randn(1, 3, 64, 64), [sample])
    return sum(v for k, v in losses.items() if 'loss' in k)


def test_upernet_batch1_fails_in_batchnorm_and_gn_override_fixes_it():
    with pytest.raises(ValueError, match='Expected more than 1 value per '
                       'channel when training'):
        _train_step_batch1(UPERNET)
    loss = _train_step_batch1(UPERNET, GN_OPTIONS)
    assert torch.isfinite(loss)


def test_semantic_fpn_trains_with_batch1():
    assert torch.isfinite(_train_step_batch1(FPN))
