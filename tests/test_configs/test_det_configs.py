"""MMDetection configs of the official UniFormer detection recipes.

Every config under ``configs/detection`` must be listed in ``RECIPES``
(official values from the reference, section 7.5 / 9.4), load, build with
MMDetection, and reproduce each hyper-parameter of its official run. The
models are only built (and their optimiser param groups formed), never run.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import mmuniformer  # noqa: F401  (registers mmuniformer.UniFormer)

from conftest import REPO  # noqa: E402  (the repository root)
DET_DIR = osp.join(REPO, 'configs', 'detection')
# light (hourglass) configs: tests/test_configs/test_light_configs.py
CONFIG_FILES = sorted(
    p for p in glob.glob(osp.join(DET_DIR, '**', '*.py'), recursive=True)
    if 'uniformer-light' not in osp.basename(p))

SINGLE_SCALE = 'single'
MULTI_SCALE_CROP = 'ms-crop'
STEPS_1X = (12, [8, 11])
STEPS_3X = (36, [27, 33])
S_GLOBAL = (3, 7)
B_GLOBAL = (3, 7, 11, 15, 19)

# name: (detector, arch, drop path, with_cp counts, (epochs, LR steps),
#        train augmentation, box AP, mask AP, params (M))
RECIPES = {
    'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py':
    ('MaskRCNN', 'small', 0.2, (0, 0, 8, 0), STEPS_1X, SINGLE_SCALE,
     45.6, 41.6, 41),
    'mask-rcnn_uniformer-b-h14_fpn_1x_coco.py':
    ('MaskRCNN', 'base', 0.3, (0, 0, 0, 0), STEPS_1X, SINGLE_SCALE,
     47.4, 43.1, 69),
    'mask-rcnn_uniformer-s-h14_fpn_amp-ms-crop-3x_coco.py':
    ('MaskRCNN', 'small', 0.1, (0, 0, 8, 0), STEPS_3X, MULTI_SCALE_CROP,
     48.2, 43.4, 41),
    'mask-rcnn_uniformer-b-h14_fpn_amp-ms-crop-3x_coco.py':
    ('MaskRCNN', 'base', 0.3, (0, 0, 20, 0), STEPS_3X, MULTI_SCALE_CROP,
     50.3, 44.8, 69),
    'cascade-mask-rcnn_uniformer-s-h14_fpn_amp-ms-crop-3x_coco.py':
    ('CascadeRCNN', 'small', 0.2, (0, 0, 8, 0), STEPS_3X, MULTI_SCALE_CROP,
     52.1, 45.2, 79),
    'cascade-mask-rcnn_uniformer-b-h14_fpn_amp-ms-crop-3x_coco.py':
    ('CascadeRCNN', 'base', 0.4, (0, 0, 20, 0), STEPS_3X, MULTI_SCALE_CROP,
     53.8, 46.4, 107),
}
DEPTHS = dict(small=(3, 4, 8, 3), base=(5, 8, 20, 7))
GLOBAL_BLOCKS = dict(small=S_GLOBAL, base=B_GLOBAL)
PRETRAINED = dict(small='checkpoints/uniformer_small_in1k.pth',
                  base='checkpoints/uniformer_base_in1k.pth')
MS_SCALES = [(short, 1333) for short in range(480, 801, 32)]
CASCADE_STDS = ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                [0.033, 0.033, 0.067, 0.067])


def _name(path):
    return osp.basename(path)


def _load(path):
    return Config.fromfile(path)


def _tuples(scales):
    return [tuple(s) for s in scales]


@pytest.fixture(scope='module', autouse=True)
def _mmdet_scope():
    init_default_scope('mmdet')


def test_every_recipe_has_a_config():
    names = [_name(p) for p in CONFIG_FILES]
    assert len(names) == len(set(names)), 'duplicate config names'
    assert sorted(names) == sorted(RECIPES), (
        'configs/detection and the RECIPES table disagree: add a row for each '
        'new config (with its official numbers) or restore the missing file')


@pytest.mark.parametrize('path', CONFIG_FILES, ids=_name)
def test_config_recipe(path):
    (detector, arch, drop_path, with_cp, (epochs, steps), aug, *_
     ) = RECIPES[_name(path)]
    cfg = _load(path)
    assert cfg.custom_imports == dict(imports=['mmuniformer'],
                                      allow_failed_imports=False)
    model = cfg.model
    assert model.type == detector

    backbone = model.backbone
    assert backbone.type == 'mmuniformer.UniFormer'
    assert backbone.arch == arch and backbone.head_dim == 64
    assert backbone.attn_mode == 'hybrid' and backbone.window_size == 14
    assert backbone.drop_path_rate == pytest.approx(drop_path)
    assert tuple(backbone.out_indices) == (0, 1, 2, 3)
    assert backbone.frozen_stages == -1 and backbone.norm_eval is False
    assert backbone.init_cfg == dict(type='Pretrained',
                                     checkpoint=PRETRAINED[arch])
    # mmdet's ResNet leftovers must be gone (``_delete_``).
    assert set(backbone) <= {
        'type', 'arch', 'head_dim', 'attn_mode', 'window_size',
        'drop_path_rate', 'out_indices', 'frozen_stages', 'norm_eval',
        'with_cp', 'init_cfg'}
    assert list(model.neck.in_channels) == [64, 128, 320, 512]
    assert model.neck.out_channels == 256 and model.neck.num_outs == 5

    # ImageNet mean/std on 0-255 RGB input, padded to a multiple of 32.
    pre = model.data_preprocessor
    assert pre.mean == [123.675, 116.28, 103.53]
    assert pre.std == [58.395, 57.12, 57.375]
    assert pre.bgr_to_rgb is True and pre.pad_size_divisor == 32

    # AdamW 1e-4 / 0.05, no decay on *norm*, AMP, no grad clip.
    optim = cfg.optim_wrapper
    assert optim.type == 'mmuniformer.AmpOptimWrapper'  # CPU: fp32 fallback
    assert optim.dtype == 'bfloat16'
    assert 'clip_grad' not in optim and 'constructor' not in optim
    assert dict(optim.optimizer) == dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05)
    assert optim.paramwise_cfg == dict(
        custom_keys={'norm': dict(decay_mult=0.)})
    assert cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16

    # Schedule: 500-iter linear warmup from 0.001, steps at the epochs.
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.train_cfg.max_epochs == epochs
    warmup, multistep = cfg.param_scheduler
    assert dict(warmup) == dict(type='LinearLR', start_factor=0.001,
                                by_epoch=False, begin=0, end=500)
    assert dict(multistep) == dict(type='MultiStepLR', begin=0, end=epochs,
                                   by_epoch=True, milestones=steps,
                                   gamma=0.1)

    # Train augmentation.
    train = cfg.train_dataloader.dataset.pipeline
    types = [t.type for t in train]
    assert types[:2] == ['LoadImageFromFile', 'LoadAnnotations']
    assert train[1].with_bbox and train[1].with_mask
    assert types[-1] == 'PackDetInputs'
    flip = [t for t in train if t.type == 'RandomFlip']
    assert len(flip) == 1 and flip[0].prob == 0.5
    if aug == SINGLE_SCALE:
        resize = [t for t in train if t.type == 'Resize']
        assert len(resize) == 1 and 'RandomChoice' not in types
        assert tuple(resize[0].scale) == (1333, 800)
        assert resize[0].keep_ratio
    else:
        assert 'Resize' not in types
        (choice, ) = [t for t in train if t.type == 'RandomChoice']
        policy_a, policy_b = choice.transforms
        assert [t.type for t in policy_a] == ['RandomChoiceResize']
        assert _tuples(policy_a[0].scales) == MS_SCALES
        assert policy_a[0].keep_ratio
        assert [t.type for t in policy_b] == [
            'RandomChoiceResize', 'RandomCrop', 'RandomChoiceResize']
        assert _tuples(policy_b[0].scales) == [(400, 1333), (500, 1333),
                                               (600, 1333)]
        assert policy_b[1].crop_type == 'absolute_range'
        assert tuple(policy_b[1].crop_size) == (384, 600)
        assert policy_b[1].allow_negative_crop
        assert _tuples(policy_b[2].scales) == MS_SCALES
        assert policy_b[0].keep_ratio and policy_b[2].keep_ratio

    # Test: single scale (1333, 800), no flip; COCO bbox + segm.
    test = cfg.test_dataloader.dataset.pipeline
    test_types = [t.type for t in test]
    assert 'RandomFlip' not in test_types and 'TestTimeAug' not in test_types
    (resize, ) = [t for t in test if t.type == 'Resize']
    assert tuple(resize.scale) == (1333, 800) and resize.keep_ratio
    assert cfg.test_evaluator.type == 'CocoMetric'
    assert list(cfg.test_evaluator.metric) == ['bbox', 'segm']

    if detector == 'CascadeRCNN':
        heads = model.roi_head.bbox_head
        assert model.roi_head.num_stages == 3 and len(heads) == 3
        for head, stds in zip(heads, CASCADE_STDS):
            assert head.type == 'ConvFCBBoxHead'
            assert head.num_shared_convs == 4 and head.num_shared_fcs == 1
            assert head.conv_out_channels == 256
            assert head.fc_out_channels == 1024
            assert head.num_classes == 80
            assert head.reg_class_agnostic is False
            assert head.reg_decoded_bbox is True
            assert head.norm_cfg.type == 'SyncBN'
            assert head.loss_bbox == dict(type='GIoULoss', loss_weight=10.0)
            assert list(head.bbox_coder.target_stds) == stds
            assert list(head.bbox_coder.target_means) == [0.] * 4


@pytest.mark.parametrize('path', CONFIG_FILES, ids=_name)
def test_config_builds(path):
    """Build the detector; check the backbone and the param groups."""
    from mmdet.registry import MODELS
    from mmuniformer.models.backbones.uniformer import UniFormer

    (detector, arch, drop_path, with_cp, *_, params_m) = RECIPES[_name(path)]
    cfg = _load(path)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == detector

    backbone = model.backbone
    assert isinstance(backbone, UniFormer)
    assert tuple(backbone.depths) == DEPTHS[arch]
    assert tuple(backbone.embed_dims) == (64, 128, 320, 512)
    assert backbone.head_dim == 64
    assert backbone.cp_blocks == with_cp
    assert backbone.global_block_indices() == GLOBAL_BLOCKS[arch]
    windows = {b.window_size for j, b in enumerate(backbone.blocks3)
               if j not in GLOBAL_BLOCKS[arch]}
    assert windows == {14}
    assert all(b.window_size is None for b in backbone.blocks4)
    # Stochastic depth rises linearly to the configured rate.
    assert backbone.blocks4[-1].drop_path.drop_prob == pytest.approx(
        drop_path)
    assert model.neck.in_channels == [64, 128, 320, 512]
    # Parameter count as in the official model zoo (80 classes).
    total = sum(p.numel() for p in model.parameters())
    assert round(total / 1e6) == params_m

    if detector == 'CascadeRCNN':
        for head in model.roi_head.bbox_head:
            assert len(head.shared_convs) == 4 and len(head.shared_fcs) == 1
            assert isinstance(head.shared_convs[0].bn,
                              torch.nn.SyncBatchNorm)

    # Param groups: every name containing 'norm' (block BN/LN, patch-embed
    # LN, the dense norm1..4) gets no weight decay, the rest 0.05 (fp32
    # switch: the same parameter groups as with AMP).
    optim_cfg = cfg.optim_wrapper.copy()
    optim_cfg.dtype = 'float32'
    wrapper = build_optim_wrapper(model, optim_cfg)
    decay = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            decay[id(p)] = group['weight_decay']
            assert group['lr'] == pytest.approx(1e-4)
    named = dict(model.named_parameters())
    no_decay = {n for n in named if decay[id(named[n])] == 0.}
    assert no_decay == {n for n in named if 'norm' in n}
    for name in ('backbone.norm1.weight', 'backbone.norm4.bias',
                 'backbone.patch_embed1.norm.weight',
                 'backbone.blocks1.0.norm1.weight',
                 'backbone.blocks3.0.norm2.bias'):
        assert decay[id(named[name])] == 0.
    for name in ('backbone.blocks3.0.attn.qkv.weight',
                 'backbone.blocks1.0.pos_embed.weight',
                 'backbone.patch_embed1.proj.weight',
                 'neck.lateral_convs.0.conv.weight'):
        assert decay[id(named[name])] == pytest.approx(0.05)
