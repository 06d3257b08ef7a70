"""The ImageNet classification configs against the official recipes.

The tables are transcribed from the reference (§2 variants, §7.1 DeiT
recipe, §7.2 token labeling, §9.1 zoo head_dims), not from the configs, so
a wrong learning rate, drop path, head_dim, batch or schedule fails here.
"""
import math
import os.path as osp

import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
from mmengine.config import Config

importorskip('mmpretrain')

from conftest import REPO  # noqa: E402  (the repository root)
CFG_DIR = osp.join(REPO, 'configs', 'classification', 'uniformer')
GPUS = 8

# §7.1 DeiT recipe: lr = --lr x 1024 / 512 (S/S+: 5e-4 -> 1e-3, B: 4e-4 ->
# 8e-4), 300 epochs + 10 cool-down, warm-up 5 from 1e-6, min lr 1e-5, wd
# 0.05, Mixup 0.8 / CutMix 1.0, repeated augmentation, batch 8 x 128.
DEIT = dict(tl=False, lr=1e-3, per_gpu=128, epochs=310, cosine_end=300,
            warmup=5, warmup_lr=1e-6, min_lr=1e-5, wd=0.05, size=224,
            mix=True, repeat_aug=True)
# §7.2 token labeling, 224: lr 1.6e-3 (L 1.2e-3) without scaling, mixup /
# cutmix 0, no repeated augmentation, otherwise the DeiT schedule.
TL = dict(DEIT, tl=True, lr=1.6e-3, mix=False, repeat_aug=False)
# §7.2, 384: constant lr 5e-6, 50 epochs, no warm-up, wd 1e-8, 8 x 64.
TL384 = dict(TL, lr=5e-6, per_gpu=64, epochs=50, warmup=0, wd=1e-8,
             size=384, constant=True)

# config: (arch, head_dim, drop path, recipe)
CONFIGS = {
    'uniformer-small_8xb128_in1k': ('small', 64, 0.1, DEIT),
    'uniformer-small-plus_8xb128_in1k': ('small_plus', 32, 0.1, DEIT),
    'uniformer-small-plus-dim64_8xb128_in1k': ('small_plus', 64, 0.1, DEIT),
    'uniformer-base_8xb128_in1k': ('base', 64, 0.3, dict(DEIT, lr=8e-4)),
    'uniformer-base-ls_8xb128_in1k': ('base_ls', 64, 0.3,
                                      dict(DEIT, lr=8e-4)),
    # not an official run (L was released with token labeling only): B's
    # DeiT lr and the TL run's drop path, as the config states
    'uniformer-large-ls_8xb128_in1k': ('large', 64, 0.4, dict(DEIT, lr=8e-4)),
    'uniformer-small_tl_8xb128_in1k': ('small', 32, 0.1, TL),
    'uniformer-small-dim64_tl_8xb128_in1k': ('small', 64, 0.1, TL),
    'uniformer-small-plus_tl_8xb128_in1k': ('small_plus', 32, 0.1, TL),
    'uniformer-small-plus-dim64_tl_8xb128_in1k': ('small_plus', 64, 0.1, TL),
    'uniformer-base_tl_8xb128_in1k': ('base', 32, 0.3, TL),
    'uniformer-base-dim64_tl_8xb128_in1k': ('base', 64, 0.3, TL),
    'uniformer-large-ls_tl_8xb128_in1k': ('large', 64, 0.4,
                                          dict(TL, lr=1.2e-3)),
    'uniformer-small_tl_8xb64_in1k-384px': ('small', 32, 0.1, TL384),
    'uniformer-small-plus_tl_8xb64_in1k-384px': ('small_plus', 32, 0.1,
                                                 TL384),
    'uniformer-base_tl_8xb64_in1k-384px': ('base', 32, 0.3, TL384),
    'uniformer-large-ls_tl_8xb32_in1k-384px': ('large', 64, 0.3,
                                               dict(TL384, per_gpu=32)),
}
EMBED = dict(small=512, small_plus=512, base=512, base_ls=512, large=640)

# Light ImageNet (reference light file §5.1): config -> (arch, size, drop
# path, lr = --lr x 4096 / 512, wd, train-time augmentation)
LIGHT = {
    'uniformer-light-xxs_8xb512_in1k-128px': ('xxs', 128, 0., 3.2e-3, 0.1,
                                              'AutoAugment'),
    'uniformer-light-xxs_8xb512_in1k-160px': ('xxs', 160, 0., 3.2e-3, 0.1,
                                              'AutoAugment'),
    'uniformer-light-xxs_8xb512_in1k-192px': ('xxs', 192, 0., 3.2e-3, 0.1,
                                              'AutoAugment'),
    'uniformer-light-xxs_8xb512_in1k-224px': ('xxs', 224, 0., 3.2e-3, 0.1,
                                              'AutoAugment'),
    'uniformer-light-xs_8xb512_in1k-192px': ('xs', 192, 0.1, 4e-3, 0.05,
                                             'RandAugment'),
    'uniformer-light-xs_8xb512_in1k-224px': ('xs', 224, 0.1, 4e-3, 0.05,
                                             'RandAugment'),
}

# Token-labeling training configs (reference TL file §6.2) -> the test
# config whose official weights and results they train for. Drop path / lr
# / batch are those of the test config's row above (the same run).
TL_TRAIN = {
    'uniformer-small_tl-train_8xb128_in1k': 'uniformer-small_tl_8xb128_in1k',
    'uniformer-small-dim64_tl-train_8xb128_in1k':
    'uniformer-small-dim64_tl_8xb128_in1k',
    'uniformer-small-plus_tl-train_8xb128_in1k':
    'uniformer-small-plus_tl_8xb128_in1k',
    'uniformer-small-plus-dim64_tl-train_8xb128_in1k':
    'uniformer-small-plus-dim64_tl_8xb128_in1k',
    'uniformer-base_tl-train_8xb128_in1k': 'uniformer-base_tl_8xb128_in1k',
    'uniformer-base-dim64_tl-train_8xb128_in1k':
    'uniformer-base-dim64_tl_8xb128_in1k',
    'uniformer-large-ls_tl-train_8xb128_in1k':
    'uniformer-large-ls_tl_8xb128_in1k',
    'uniformer-small_tl-train_8xb64_in1k-384px':
    'uniformer-small_tl_8xb64_in1k-384px',
    'uniformer-small-plus_tl-train_8xb64_in1k-384px':
    'uniformer-small-plus_tl_8xb64_in1k-384px',
    'uniformer-base_tl-train_8xb64_in1k-384px':
    'uniformer-base_tl_8xb64_in1k-384px',
    'uniformer-large-ls_tl-train_8xb32_in1k-384px':
    'uniformer-large-ls_tl_8xb32_in1k-384px',
}


def _cfg(name):
    return Config.fromfile(osp.join(CFG_DIR, name + '.py'))


def timm_lr(epoch, r):
    """timm's CosineLRScheduler as the official run used it, per epoch:
    linear warm-up from warmup_lr, cosine over [0, cosine_end) (t not offset
    by the warm-up), min_lr afterwards (cool-down)."""
    if r.get('constant'):
        return r['lr']
    if epoch < r['warmup']:
        return r['warmup_lr'] + epoch * (r['lr'] - r['warmup_lr']) / \
            r['warmup']
    if epoch >= r['cosine_end']:
        return r['min_lr']
    return r['min_lr'] + 0.5 * (r['lr'] - r['min_lr']) * (
        1 + math.cos(math.pi * epoch / r['cosine_end']))


def mmengine_lrs(cfg, epochs):
    """lr of each epoch from the config's param schedulers."""
    import torch
    from mmengine.optim.scheduler import _ParamScheduler  # noqa: F401
    from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
    init_default_scope('mmpretrain')
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)],
                          lr=cfg.optim_wrapper.optimizer.lr)
    scheds = [PARAM_SCHEDULERS.build(dict(s, optimizer=opt))
              for s in cfg.param_scheduler]
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        for s in scheds:
            s.step()
    return lrs


def test_every_config_is_in_the_table():
    import glob
    names = {osp.splitext(osp.basename(p))[0]
             for p in glob.glob(osp.join(CFG_DIR, '*.py'))}
    assert names == set(CONFIGS) | set(TL_TRAIN) | set(LIGHT)


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_recipe(name):
    arch, head_dim, drop_path, r = CONFIGS[name]
    cfg = _cfg(name)
    assert cfg.default_scope == 'mmpretrain'
    model = cfg.model
    assert model.type == 'ImageClassifier'
    assert model.backbone.type == 'mmuniformer.UniFormerClsBackbone'
    assert (model.backbone.arch, model.backbone.head_dim,
            model.backbone.drop_path_rate) == (arch, head_dim, drop_path)
    assert model.head.num_classes == 1000
    assert model.head.in_channels == EMBED[arch]
    assert model.head.loss == dict(type='LabelSmoothLoss',
                                   label_smooth_val=0.1, mode='original')
    if r['tl']:
        assert model.neck is None
        assert model.head.type == 'mmuniformer.TokenLabelingClsHead'
        assert model.head.aux_weight == 0.5
    else:
        assert model.neck.type == 'GlobalAveragePooling'
        assert model.head.type == 'LinearClsHead'
    if r['mix']:
        assert model.train_cfg.augments == [dict(type='Mixup', alpha=0.8),
                                            dict(type='CutMix', alpha=1.0)]
    else:
        assert model.get('train_cfg') is None

    # optimiser: AdamW (eps 1e-8), no decay on 1-D params / biases, AMP
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'AdamW' and opt.eps == 1e-8
    assert tuple(opt.betas) == (0.9, 0.999)
    assert opt.lr == pytest.approx(r['lr'])
    assert opt.weight_decay == r['wd']
    pw = cfg.optim_wrapper.paramwise_cfg
    assert (pw.norm_decay_mult, pw.bias_decay_mult, pw.flat_decay_mult) == \
        (0., 0., 0.)
    assert cfg.optim_wrapper.type == 'mmuniformer.AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert 'clip_grad' not in cfg.optim_wrapper

    # batch and sampler
    assert cfg.train_dataloader.batch_size == r['per_gpu']
    assert f'_{GPUS}xb{r["per_gpu"]}_' in name  # the name states the batch
    assert cfg.auto_scale_lr.base_batch_size == r['per_gpu'] * GPUS
    sampler = cfg.train_dataloader.sampler
    if r['repeat_aug']:
        assert sampler == dict(type='RepeatAugSampler', num_repeats=3,
                               shuffle=True)
    else:
        assert sampler.type == 'DefaultSampler' and sampler.shuffle

    # schedule, per epoch, against timm's formula
    assert cfg.train_cfg.max_epochs == r['epochs']
    ours = mmengine_lrs(cfg, r['epochs'])
    ref = [timm_lr(e, r) for e in range(r['epochs'])]
    rel = [(o - t) / t for o, t in zip(ours, ref)]
    # the stated deviation: cosine over epochs 5-300 instead of 0-300
    assert all(-1e-9 <= d <= 0.032 for d in rel), max(rel)
    for e in [0, 1, r['warmup']] + list(range(r['epochs'] - 12,
                                              r['epochs'])):
        if r.get('constant') or e < r['warmup'] or e >= r['cosine_end']:
            assert ours[e] == pytest.approx(ref[e], rel=1e-6), e

    # augmentation
    train = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert train['RandomResizedCrop'].scale == r['size']
    assert train['RandomResizedCrop'].interpolation == 'bicubic'
    ra = train['RandAugment']
    assert (ra.policies, ra.num_policies, ra.magnitude_level,
            ra.magnitude_std, ra.total_level) == ('timm_increasing', 2, 9,
                                                  0.5, 10)
    assert train['RandomErasing'].erase_prob == 0.25
    assert train['RandomErasing'].mode == 'rand'
    assert train['RandomFlip'].prob == 0.5
    assert 'ColorJitter' not in train  # inactive in timm with RandAugment

    test = {t.type: t for t in cfg.test_dataloader.dataset.pipeline}
    if r['size'] == 224:  # DeiT eval: short side 256 bicubic, crop 224
        assert test['ResizeEdge'].scale == 256
        assert test['ResizeEdge'].interpolation == 'bicubic'
        assert test['CenterCrop'].crop_size == 224
    else:
        assert test['Resize'].scale == 384
        assert 'CenterCrop' not in test
    assert (cfg.test_evaluator.type, tuple(cfg.test_evaluator.topk)) == (
        'Accuracy', (1, 5))
    pre = cfg.data_preprocessor
    assert (pre['mean'], pre['std'], pre['to_rgb']) == (
        [123.675, 116.28, 103.53], [58.395, 57.12, 57.375], True)
    assert cfg.custom_hooks == [
        dict(type='mmuniformer.OfficialCheckpointHook')]


def test_configs_build_with_the_stated_heads():
    """One plain and one token-labeling config build in MMPretrain."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    tiny = dict(depths=(1, 1, 1, 1), embed_dims=(8, 16, 32, 64),
                head_dim=16)
    for name, head in (('uniformer-small_8xb128_in1k', 'LinearClsHead'),
                       ('uniformer-small_tl_8xb128_in1k',
                        'TokenLabelingClsHead')):
        cfg = _cfg(name)
        cfg.model.backbone.update(arch=tiny, head_dim=None)
        cfg.model.head.in_channels = 64
        model = MODELS.build(cfg.model)
        assert type(model.backbone).__name__ == 'UniFormerClsBackbone'
        assert type(model.head).__name__ == head


@pytest.mark.parametrize('name', sorted(TL_TRAIN))
def test_token_labeling_training_recipe(name):
    """§1-§6 of the TL reference: dense labels through flip -> RandAugment
    -> crop, MixToken, loss weights 1 / 1, EMA 0.99992 per iteration at
    224 (none at 384), label size 7 / 12; model and test exactly the
    paired test config's, so its official weights and numbers apply."""
    test_name = TL_TRAIN[name]
    arch, head_dim, drop_path, r = CONFIGS[test_name]
    cfg, ref = _cfg(name), _cfg(test_name)
    model = cfg.model
    assert model.type == 'mmuniformer.TokenLabelingClassifier'
    assert model.mix_token == dict(type='mmuniformer.MixToken', alpha=1.0,
                                   stride=4, ratio=8)
    assert model.backbone == ref.model.backbone
    assert (model.backbone.arch, model.backbone.head_dim,
            model.backbone.drop_path_rate) == (arch, head_dim, drop_path)
    head = dict(model.head)
    for key in ('cls_loss', 'dense_loss'):
        assert head.pop(key) == dict(type='CrossEntropyLoss', use_soft=True,
                                     loss_weight=1.0)
    assert head == ref.model.head
    assert model.neck is None and model.get('train_cfg') is None

    # the test side is the test config's, to the letter
    assert cfg.test_dataloader == ref.test_dataloader
    assert cfg.val_dataloader == ref.val_dataloader
    assert cfg.data_preprocessor == ref.data_preprocessor
    assert cfg.test_evaluator == ref.test_evaluator

    # the schedule and optimiser of the same official run
    assert cfg.optim_wrapper == ref.optim_wrapper
    assert cfg.optim_wrapper.type == 'mmuniformer.AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(r['lr'])
    assert cfg.param_scheduler == ref.param_scheduler
    assert cfg.train_cfg == ref.train_cfg
    assert cfg.train_dataloader.batch_size == r['per_gpu']
    assert cfg.train_dataloader.sampler == ref.train_dataloader.sampler

    # dense labels: the official transform order and label size
    size = r['size']
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t.type for t in pipeline] == [
        'LoadImageFromFile', 'mmuniformer.LoadTokenLabel',
        'mmuniformer.TokenLabelRandomFlip',
        'mmuniformer.TokenLabelRandAugment',
        'mmuniformer.TokenLabelRandomResizedCrop', 'RandomErasing',
        'mmuniformer.PackTokenLabelInputs'
    ]
    flip, ra, crop, erase, pack = pipeline[2:]
    assert (flip.prob, flip.direction) == (0.5, 'horizontal')
    assert (ra.policies, ra.num_policies, ra.magnitude_level,
            ra.magnitude_std, ra.total_level) == ('timm_increasing', 2, 9,
                                                  0.5, 10)
    assert crop.scale == size
    assert (erase.erase_prob, erase.mode) == (0.25, 'rand')
    assert (pack.num_classes, pack.label_size, pack.smoothing,
            pack.box_order) == (1000, {224: 7, 384: 12}[size], 0.1,
                                'official')

    hooks = {h.type: h for h in cfg.custom_hooks}
    assert 'mmuniformer.OfficialCheckpointHook' in hooks
    if size == 224:
        ema = hooks['EMAHook']
        assert ema.ema_type == 'ExponentialMovingAverage'
        assert 1 - ema.momentum == pytest.approx(0.99992, abs=1e-12)
        assert ema.update_buffers
    else:
        assert 'EMAHook' not in hooks
        assert cfg.load_from is None  # the user's 224 TL checkpoint


@pytest.mark.parametrize('name', sorted(LIGHT))
def test_light_recipe(name):
    """§5.1 of the light reference: 8 x 512, 600 epochs, 30 warm-up from
    1e-6, cosine to 1e-5, Mixup 0.8 / CutMix 1.0, smoothing 0.1, no
    repeated aug, fp32, head + head_cls 0.5 / 0.5, test short side
    int(256 / 224 x S), centre crop S."""
    arch, size, drop_path, lr, wd, aug = LIGHT[name]
    cfg = _cfg(name)
    model = cfg.model
    assert model.type == 'ImageClassifier' and model.neck is None
    assert model.backbone.type == 'mmuniformer.UniFormerLightClsBackbone'
    assert (model.backbone.arch, model.backbone.drop_path_rate) == (
        arch, drop_path)
    assert model.head.type == 'mmuniformer.LightClsHead'
    assert model.head.cls_weight == 0.5
    assert model.head.in_channels == dict(xxs=448, xs=512)[arch]
    assert model.head.loss == dict(type='LabelSmoothLoss',
                                   label_smooth_val=0.1, mode='original')
    assert model.train_cfg.augments == [dict(type='Mixup', alpha=0.8),
                                        dict(type='CutMix', alpha=1.0)]
    opt = cfg.optim_wrapper
    assert opt.type == 'OptimWrapper'  # fp32, as officially
    assert (opt.optimizer.type, opt.optimizer.eps) == ('AdamW', 1e-8)
    assert opt.optimizer.lr == pytest.approx(lr)
    assert opt.optimizer.weight_decay == wd
    pw = opt.paramwise_cfg
    assert (pw.norm_decay_mult, pw.bias_decay_mult, pw.flat_decay_mult) == \
        (0., 0., 0.)
    assert pw.custom_keys['backbone.cls_token'] == dict(decay_mult=0.)
    assert cfg.train_dataloader.batch_size == 512
    assert cfg.auto_scale_lr.base_batch_size == 4096
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    r = dict(lr=lr, warmup=30, warmup_lr=1e-6, min_lr=1e-5, cosine_end=600)
    assert cfg.train_cfg.max_epochs == 600
    ours = mmengine_lrs(cfg, 600)
    ref = [timm_lr(e, r) for e in range(600)]
    for e in (0, 1, 15, 29):
        if e < 30:
            assert ours[e] == pytest.approx(ref[e], rel=1e-6), e
    # cosine over 30-600 instead of 0-600 (stated): never lower
    assert all(o >= t * (1 - 1e-9) for o, t in zip(ours, ref))
    train = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert train['RandomResizedCrop'].scale == size
    assert train['RandomResizedCrop'].interpolation == 'bicubic'
    assert aug in train
    if aug == 'RandAugment':
        ra = train['RandAugment']
        assert (ra.policies, ra.num_policies, ra.magnitude_level,
                ra.magnitude_std) == ('timm_increasing', 2, 9, 0.5)
    assert train['RandomErasing'].erase_prob == 0.25
    test = {t.type: t for t in cfg.test_dataloader.dataset.pipeline}
    assert test['ResizeEdge'].scale == {128: 146, 160: 182, 192: 219,
                                        224: 256}[size]
    assert test['ResizeEdge'].interpolation == 'bicubic'
    assert test['CenterCrop'].crop_size == size
    assert cfg.custom_hooks == [
        dict(type='mmuniformer.OfficialCheckpointHook')]
