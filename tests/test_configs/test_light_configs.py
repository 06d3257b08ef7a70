"""Light UniFormer configs pinned to the official recipes
(uniformer_light.md §5.2-5.4): one row per official experiment, values read
from the resolved configs; models built for the parameter counts of §1."""
import os.path as osp

import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper

from conftest import REPO  # noqa: E402  (the repository root)
UNI = osp.join(REPO, 'configs', 'recognition', 'uniformer')
DET = osp.join(REPO, 'configs', 'detection', 'uniformer')
SEG = osp.join(REPO, 'configs', 'segmentation', 'uniformer')

# official exp: (config, arch, frames, crop, GPUs x per-GPU videos, total,
# lr, wd, drop path, layer scale, fp32 attention, RandAugment (ops, mag),
# ImageNet init, seed)
VIDEO = {
    'xxs4_128': ('uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u4-110e_'
                 'kinetics400-128px-rgb.py', 'xxs', 4, 128, 32, 256, 4e-4,
                 .1, .05, .1, True, (2, 10), 'xxs_128', 66667),
    'xxs4_160': ('uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u4-110e_'
                 'kinetics400-160px-rgb.py', 'xxs', 4, 160, 64, 256, 4e-4,
                 .1, .05, .1, True, (2, 10), 'xxs_160', 6666),
    'xxs8_128': ('uniformer-light-xxs_imagenet1k-128px-pre_4xb64-u8-110e_'
                 'kinetics400-128px-rgb.py', 'xxs', 8, 128, 64, 256, 4e-4,
                 .1, .05, .1, True, (2, 10), 'xxs_128', 66666),
    'xxs8_160': ('uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u8-110e_'
                 'kinetics400-160px-rgb.py', 'xxs', 8, 160, 64, 256, 4e-4,
                 .1, .05, None, True, (2, 5), 'xxs_160', 66666),
    'xxs16_128': ('uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u16-110e_'
                  'kinetics400-128px-rgb.py', 'xxs', 16, 128, 32, 256, 8e-4,
                  .1, .05, None, True, (2, 5), 'xxs_128', 66666),
    'xxs16_160': ('uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_'
                  'kinetics400-160px-rgb.py', 'xxs', 16, 160, 32, 256, 8e-4,
                  .1, .05, None, True, (2, 5), 'xxs_160', 66666),
    'xxs32_160': ('uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u32-110e_'
                  'kinetics400-160px-rgb.py', 'xxs', 32, 160, 32, 256, 8e-4,
                  .1, .05, None, False, (2, 5), 'xxs_160', 6666),
    'xs32_192': ('uniformer-light-xs_imagenet1k-192px-pre_8xb16-u32-110e_'
                 'kinetics400-192px-rgb.py', 'xs', 32, 192, 16, 128, 4e-4,
                 .05, .1, None, True, (4, 7), 'xs_192', 6666),
}


def _step(pipeline, kind):
    steps = [s for s in pipeline if s['type'] == kind]
    assert len(steps) == 1, (kind, pipeline)
    return steps[0]


@pytest.mark.parametrize('exp', sorted(VIDEO))
def test_video_recipe(exp):
    (name, arch, frames, crop, per_gpu, total, lr, wd, dp, ls, fp32, ra,
     init, seed) = VIDEO[exp]
    cfg = Config.fromfile(osp.join(UNI, name))
    bb = cfg.model.backbone
    assert bb.type == 'mmuniformer.UniFormerLight3D' and bb.arch == arch
    assert bb.return_cls_token
    assert bb.drop_path_rate == dp
    assert bb.get('layer_scale_init') == ls
    assert bb.get('fp32_attention', False) == fp32
    assert bb.init_cfg.checkpoint == f'checkpoints/uniformer_{init}_in1k.pth'
    head = cfg.model.cls_head
    assert head.type == 'mmuniformer.UniFormerLightHead'
    assert head.in_channels == (448 if arch == 'xxs' else 512)
    assert head.cls_token_loss_weight == .5 and head.num_classes == 400
    assert head.label_smooth_eps == .1
    assert cfg.train_dataloader.batch_size == per_gpu
    assert cfg.auto_scale_lr.base_batch_size == total
    gpus = int(name.split('_')[2].split('xb')[0].split('-')[-1])
    assert gpus * per_gpu == total
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.optim_wrapper.optimizer.weight_decay == wd
    assert cfg.param_scheduler[0].start_factor * lr == pytest.approx(1e-6)
    assert cfg.train_cfg.max_epochs == 110
    assert cfg.randomness.seed == seed
    train = cfg.train_dataloader.dataset.pipeline
    sample = _step(train, 'UniformSample')
    assert sample.clip_len == frames and sample.num_clips == 1
    aug = _step(train, 'mmuniformer.ClipRandAugment')
    assert (aug.num_ops, aug.magnitude) == ra
    assert train[6].type == 'Resize' and train[6].scale == (crop, crop)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        pipe = loader.dataset.pipeline
        sample = _step(pipe, 'UniformSample')
        assert sample.clip_len == frames and sample.num_clips == 1
        assert sample.test_mode
        assert _step(pipe, 'Resize').scale == (-1, crop)
        assert _step(pipe, 'CenterCrop').crop_size == crop
    assert f'u{frames}' in name and f'{crop}px' in name


@pytest.mark.parametrize('arch,params', [('xxs', 9_833_896),
                                         ('xs', 16_099_552)])
def test_video_model_has_the_official_parameter_count(arch, params):
    importorskip('mmaction')
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    exp = 'xxs16_160' if arch == 'xxs' else 'xs32_192'
    cfg = Config.fromfile(osp.join(UNI, VIDEO[exp][0]))
    cfg.model.backbone.pop('init_cfg')
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == params


# (config, arch, drop path, backbone params (§1), zoo params (M, §6))
DENSE = [
    (osp.join(DET, 'mask-rcnn_uniformer-light-xxs_fpn_1x_coco.py'), 'xxs', 0.,
     9_317_168, 29.4),
    (osp.join(DET, 'mask-rcnn_uniformer-light-xs_fpn_1x_coco.py'), 'xs', .15,
     15_483_136, 35.6),
    (osp.join(SEG, 'fpn_uniformer-light-xxs_8xb4-80k_ade20k-512x512.py'),
     'xxs', 0., 9_317_168, 13.5),
    (osp.join(SEG, 'fpn_uniformer-light-xs_8xb4-80k_ade20k-512x512.py'), 'xs',
     .1, 15_483_136, 19.7),
]


@pytest.mark.parametrize('path,arch,dp,params,zoo', DENSE,
                         ids=[osp.basename(d[0]) for d in DENSE])
def test_dense_recipe(path, arch, dp, params, zoo):
    from mmuniformer.models import UniFormerLight
    cfg = Config.fromfile(path)
    bb = cfg.model.backbone
    assert bb.type == 'mmuniformer.UniFormerLight' and bb.arch == arch
    assert bb.drop_path_rate == dp
    assert bb.init_cfg.checkpoint == f'checkpoints/uniformer_{arch}_224_in1k.pth'
    assert not bb.norm_eval and bb.frozen_stages == -1
    dims = [56, 112, 224, 448] if arch == 'xxs' else [64, 128, 256, 512]
    assert list(cfg.model.neck.in_channels) == dims
    # fp32, as officially: the wrapper the config builds is a plain one
    wrapper = dict(cfg.optim_wrapper)
    wrapper.pop('paramwise_cfg', None)
    wrapper.pop('_scope_', None)
    built = build_optim_wrapper(torch.nn.Linear(2, 2), wrapper)
    assert type(built) is OptimWrapper, type(built)
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    if 'mask-rcnn' in path:
        assert cfg.optim_wrapper.optimizer.lr == 1e-4
        assert cfg.optim_wrapper.optimizer.weight_decay == .05
        assert cfg.optim_wrapper.paramwise_cfg.custom_keys.norm.decay_mult \
            == 0
        assert cfg.train_cfg.max_epochs == 12
        assert 'clip_grad' not in cfg.optim_wrapper or \
            cfg.optim_wrapper.clip_grad is None
    else:
        assert cfg.optim_wrapper.optimizer.lr == 2e-4
        assert cfg.optim_wrapper.optimizer.weight_decay == 1e-4
        assert cfg.train_cfg.max_iters == 80000
    host = 'mmdet' if 'mask-rcnn' in path else 'mmseg'
    importorskip(host)
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(host)
    cfg.model.backbone.pop('init_cfg')
    if host == 'mmseg':  # SyncBN needs a process group: count it as BN
        cfg.model.decode_head.norm_cfg = dict(type='BN', requires_grad=True)
    model = MODELS.build(cfg.model)
    assert isinstance(model.backbone, UniFormerLight)
    last = model.backbone.blocks4[-1].drop_path
    assert getattr(last, 'drop_prob', 0.) == pytest.approx(dp)
    assert sum(p.numel() for p in model.backbone.parameters()) == params
    total = sum(p.numel() for p in model.parameters())
    assert round(total / 1e6, 1) == zoo
