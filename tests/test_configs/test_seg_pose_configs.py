"""MMSegmentation and MMPose configs of the official UniFormer recipes.

Every ``.py`` under ``configs/segmentation`` and ``configs/pose`` loads and
builds with its host's registry (backbone ``init_cfg`` dropped). Every
non-``_base_`` config has a row in ``SEG_RECIPES`` / ``POSE_RECIPES`` (the
official values of sections 7.6 / 7.7 of the reference) and must reproduce
each hyper-parameter of its official run: a wrong number fails. Models are
built (and their optimiser param groups formed), never run at full size.
"""
import glob
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import mmuniformer  # noqa: F401  (registers mmuniformer.UniFormer)
from mmuniformer.models import UniFormer

from conftest import REPO  # noqa: E402  (the repository root)
SEG_DIR = osp.join(REPO, 'configs', 'segmentation')
POSE_DIR = osp.join(REPO, 'configs', 'pose')


def _glob(root):
    return sorted(glob.glob(osp.join(root, '**', '*.py'), recursive=True))


# light (hourglass) configs: tests/test_configs/test_light_configs.py
SEG_FILES = [p for p in _glob(SEG_DIR)
             if 'uniformer-light' not in osp.basename(p)]
POSE_FILES = _glob(POSE_DIR)


def _is_base(path):
    return '_base_' in path.split(osp.sep)


def _name(path):
    return osp.relpath(path, REPO)


CUSTOM_IMPORTS = dict(imports=['mmuniformer'], allow_failed_imports=False)
PRETRAINED = dict(small='checkpoints/uniformer_small_in1k.pth',
                  base='checkpoints/uniformer_base_in1k.pth')
NUM_BLOCKS3 = dict(small=8, base=20)
HYBRID_GLOBAL = dict(small=(3, 7), base=(3, 7, 11, 15, 19))
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]

# ---------------------------------------------------------------------------
# Segmentation (reference 7.6, zoo 9.5)
# ---------------------------------------------------------------------------
# head: lr, wd, iterations, warm-up (iters, start factor), batch per GPU,
#       drop path per arch, with_cp per arch
SEG_HEADS = dict(
    upernet=dict(lr=6e-5, wd=0.01, iters=160000, warmup=(1500, 1e-6),
                 batch=2, drop_path=dict(small=0.25, base=0.4),
                 with_cp=dict(small=False, base=(0, 0, 2, 0)),
                 norm_decay_mult=0.),
    fpn=dict(lr=2e-4, wd=1e-4, iters=80000, warmup=(1000, 0.1), batch=4,
             drop_path=dict(small=0.1, base=0.2),
             with_cp=dict(small=False, base=False), norm_decay_mult=None),
)
SEG_SCHED = dict(upernet='8xb2-160k', fpn='8xb4-80k')
# train mode / test suffix -> (attn_mode, window_size or None)
SEG_MODES = {'g': ('global', None), 'h14': ('hybrid', 14),
             '_w32': ('window', 32), '_h32': ('hybrid', 32),
             '_g': ('global', None)}
# official single-scale mIoU per (head, arch, train mode, test mode)
SEG_MIOU = {
    ('upernet', 'small', 'h14', 'h14'): 46.9,
    ('upernet', 'base', 'h14', 'h14'): 48.9,
    ('upernet', 'small', 'g', '_w32'): 46.6,
    ('upernet', 'small', 'g', '_h32'): 47.0,
    ('upernet', 'small', 'g', '_g'): 47.6,
    ('upernet', 'base', 'g', '_w32'): 49.1,
    ('upernet', 'base', 'g', '_h32'): 49.5,
    ('upernet', 'base', 'g', '_g'): 50.0,
    ('fpn', 'small', 'h14', 'h14'): 46.3,
    ('fpn', 'base', 'h14', 'h14'): 47.0,
    ('fpn', 'small', 'g', '_w32'): 45.6,
    ('fpn', 'small', 'g', '_h32'): 46.2,
    ('fpn', 'small', 'g', '_g'): 46.6,
    ('fpn', 'base', 'g', '_w32'): 47.0,
    ('fpn', 'base', 'g', '_h32'): 47.7,
    ('fpn', 'base', 'g', '_g'): 48.0,
}
# a global-trained config tests globally, like its ``_g`` test config
SEG_MIOU.update({(h, a, 'g', 'g'): v
                 for (h, a, t, m), v in list(SEG_MIOU.items()) if m == '_g'})


def _seg_recipes():
    """file name -> (head, arch, train mode, test mode)."""
    table = {}
    for head in SEG_HEADS:
        for a, arch in (('s', 'small'), ('b', 'base')):
            for train in ('g', 'h14'):
                stem = (f'{head}_uniformer-{a}-{train}_{SEG_SCHED[head]}'
                        '_ade20k-512x512')
                table[stem + '.py'] = (head, arch, train, train)
                if train == 'g':
                    for test in ('_w32', '_h32', '_g'):
                        table[stem + test + '.py'] = (head, arch, train, test)
    return table


SEG_RECIPES = _seg_recipes()

# ---------------------------------------------------------------------------
# Pose (reference 7.7, zoo 9.6)
# ---------------------------------------------------------------------------
# name: (arch, input (H, W), heatmap (H, W), sigma, lr, batch per GPU,
#        drop path, modulate kernel, AP)
POSE_RECIPES = {
    'td-hm_uniformer-s_8xb128-210e_coco-256x192.py':
    ('small', (256, 192), (64, 48), 2, 2e-3, 128, 0.2, 11, 74.0),
    'td-hm_uniformer-s_8xb128-210e_coco-384x288.py':
    ('small', (384, 288), (96, 72), 3, 2e-3, 128, 0.2, 11, 75.9),
    'td-hm_uniformer-s_8xb64-210e_coco-448x320.py':
    ('small', (448, 320), (112, 80), 3, 1e-3, 64, 0.2, 11, 76.2),
    'td-hm_uniformer-b_8xb128-210e_coco-256x192.py':
    ('base', (256, 192), (64, 48), 2, 2e-3, 128, 0.4, 11, 75.0),
    'td-hm_uniformer-b_8xb32-210e_coco-384x288.py':
    ('base', (384, 288), (96, 72), 3, 5e-4, 32, 0.5, 17, 76.7),
    'td-hm_uniformer-b_8xb32-210e_coco-448x320.py':
    ('base', (448, 320), (112, 80), 3, 5e-4, 32, 0.55, 17, 77.4),
}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    """These models run tiny inputs: one intra-op thread avoids the thread
    synchronisation that dominates tiny ops on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _build(cfg, scope):
    """Build ``cfg.model`` with the host registry, backbone not loaded."""
    cfg.model.backbone.init_cfg = None
    if scope == 'mmseg':
        import mmseg.models  # noqa: F401
        from mmseg.registry import MODELS
    else:
        import mmpose.models  # noqa: F401
        from mmpose.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.build(cfg.model)


def _check_backbone_runs(backbone, out_channels):
    """A tiny forward (64x64) of the built backbone in eval mode."""
    backbone.eval()
    with torch.no_grad():
        outs = backbone(torch.rand(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == list(out_channels)
    for o, i in zip(outs, backbone.out_indices):
        assert o.shape[-1] == 64 // (4 * 2**i)


def _check_attention(backbone, arch, attn_mode, window_size):
    assert isinstance(backbone, UniFormer)
    assert len(backbone.blocks3) == NUM_BLOCKS3[arch]
    expected_global = dict(
        global_=tuple(range(NUM_BLOCKS3[arch])),
        hybrid=HYBRID_GLOBAL[arch], window=())[
            'global_' if attn_mode == 'global' else attn_mode]
    assert backbone.global_block_indices() == expected_global
    windows = {b.window_size for b in backbone.blocks3} - {None}
    assert windows == (set() if window_size is None else {window_size})
    assert all(b.window_size is None for b in backbone.blocks4)


def _pipeline_step(pipeline, type_):
    steps = [t for t in pipeline if t['type'] == type_]
    assert len(steps) == 1, f'{type_} appears {len(steps)} times'
    return steps[0]


def _simulate_lr(cfg, model, steps):
    """lr of the first ``steps`` iterations under the config's schedulers
    (iteration-based: each is stepped once per iteration, as
    ``ParamSchedulerHook`` does)."""
    from mmengine.registry import PARAM_SCHEDULERS
    wrapper = build_optim_wrapper(
        model, dict(type='OptimWrapper',
                    optimizer=dict(cfg.optim_wrapper.optimizer)))
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
        for s in cfg.param_scheduler
    ]
    assert not any(s.by_epoch for s in schedulers)
    lrs = []
    for _ in range(steps):
        lrs.append(wrapper.param_groups[0]['lr'])
        for s in schedulers:
            s.step()
    return lrs


# ---------------------------------------------------------------------------
# tests: inventory
# ---------------------------------------------------------------------------
def test_every_seg_recipe_has_a_config():
    names = [osp.basename(p) for p in SEG_FILES if not _is_base(p)]
    assert len(names) == len(set(names)), 'duplicate config names'
    assert sorted(names) == sorted(SEG_RECIPES), (
        'configs/segmentation and SEG_RECIPES disagree: add a row (with the '
        'official numbers) for a new config or restore the missing file')
    # 4 train configs per head (S/B x global/hybrid) + 3 test configs for
    # each global checkpoint; every zoo row has its config
    assert len(names) == 20
    assert {(h, a, t, m) for h, a, t, m in SEG_RECIPES.values()} == set(
        SEG_MIOU)


def test_every_pose_recipe_has_a_config():
    names = [osp.basename(p) for p in POSE_FILES if not _is_base(p)]
    assert len(names) == len(set(names)), 'duplicate config names'
    assert sorted(names) == sorted(POSE_RECIPES), (
        'configs/pose and POSE_RECIPES disagree: add a row (with the '
        'official numbers) for a new config or restore the missing file')


# ---------------------------------------------------------------------------
# tests: every config builds
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('path', SEG_FILES, ids=_name)
def test_seg_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == CUSTOM_IMPORTS
    assert cfg.default_scope == 'mmseg'
    model = _build(cfg, 'mmseg')
    assert type(model).__name__ == 'EncoderDecoder'
    _check_backbone_runs(model.backbone, (64, 128, 320, 512))
    if _is_base(path):
        return
    # the built model of an official recipe: attention mode per block, and
    # weight decay 0 exactly on parameters named *norm* (UperNet) or on none
    # (FPN)
    head, arch, _, test_mode = SEG_RECIPES[osp.basename(path)]
    official = SEG_HEADS[head]
    _check_attention(model.backbone, arch, *SEG_MODES[test_mode])
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    decay = {}
    for group in wrapper.param_groups:
        for p in group['params']:
            decay[id(p)] = group['weight_decay']
    n_exempt = 0
    for name, p in model.named_parameters():
        if official['norm_decay_mult'] is not None and 'norm' in name:
            assert decay[id(p)] == 0., name
            n_exempt += 1
        else:
            assert decay[id(p)] == pytest.approx(official['wd']), name
    if official['norm_decay_mult'] is not None:
        # backbone: 4 stage norms + 4 patch-embedding norms + 2 per block
        depths = model.backbone.depths
        assert n_exempt == 2 * (8 + 2 * sum(depths))


@pytest.mark.parametrize('path', POSE_FILES, ids=_name)
def test_pose_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == CUSTOM_IMPORTS
    assert cfg.default_scope == 'mmpose'
    model = _build(cfg, 'mmpose')
    assert type(model).__name__ == 'TopdownPoseEstimator'
    _check_backbone_runs(model.backbone, (512, ))
    # the head turns the stride-32 map into 17 heatmaps at stride 4
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.rand(1, 3, 64, 32))
        heatmaps = model.head.forward(feats)
    assert tuple(heatmaps.shape) == (1, 17, 16, 8)
    if not _is_base(path):
        arch = POSE_RECIPES[osp.basename(path)][0]
        _check_attention(model.backbone, arch, 'global', None)
        # no unused parameters (the official copy keeps norm1..3 unused)
        assert not any(
            name.startswith(('norm1.', 'norm2.', 'norm3.'))
            for name, _ in model.backbone.named_parameters())


# ---------------------------------------------------------------------------
# tests: segmentation recipes
# ---------------------------------------------------------------------------
SEG_RECIPE_FILES = [p for p in SEG_FILES if not _is_base(p)]


def _metafile_miou(path):
    """The mIoU the segmentation metafile gives for the config ``path``."""
    import yaml
    meta = osp.join(osp.dirname(path), 'metafile.yml')
    with open(meta) as f:
        models = yaml.safe_load(f)['Models']
    rel = osp.relpath(path, osp.dirname(osp.dirname(osp.dirname(
        osp.dirname(path)))))
    rows = [m for m in models if m['Config'] == rel]
    assert len(rows) == 1, f'{rel}: {len(rows)} rows in {meta}'
    return rows[0]['Results'][0]['Metrics']['mIoU']


@pytest.mark.parametrize('path', SEG_RECIPE_FILES, ids=_name)
def test_seg_recipe(path):
    head, arch, train_mode, test_mode = SEG_RECIPES[osp.basename(path)]
    official = SEG_HEADS[head]
    attn_mode, window_size = SEG_MODES[test_mode]
    # the zoo row of this config states the official mIoU of the recipe
    assert _metafile_miou(path) == SEG_MIOU[(head, arch, train_mode,
                                             test_mode)]
    cfg = Config.fromfile(path)

    # backbone
    bb = cfg.model.backbone
    assert bb.type == 'mmuniformer.UniFormer'
    assert set(bb) <= {
        'type', 'arch', 'head_dim', 'attn_mode', 'window_size',
        'drop_path_rate', 'out_indices', 'frozen_stages', 'norm_eval',
        'with_cp', 'init_cfg'}, 'ResNet leftovers: missing _delete_?'
    assert bb.arch == arch and bb.head_dim == 64
    assert bb.attn_mode == attn_mode
    if window_size is not None:
        assert bb.window_size == window_size
    assert bb.drop_path_rate == pytest.approx(official['drop_path'][arch])
    assert bb.with_cp == official['with_cp'][arch]
    assert tuple(bb.out_indices) == (0, 1, 2, 3)
    assert bb.frozen_stages == -1 and bb.norm_eval is False
    assert bb.init_cfg == dict(type='Pretrained',
                               checkpoint=PRETRAINED[arch])
    assert cfg.model.get('pretrained') is None

    # heads (mmseg conventions for the official heads)
    assert cfg.model.type == 'EncoderDecoder'
    assert cfg.model.test_cfg == dict(mode='whole')
    dec = cfg.model.decode_head
    assert dec.num_classes == 150 and dec.dropout_ratio == 0.1
    assert dec.norm_cfg.type == 'SyncBN'
    if head == 'upernet':
        assert dec.type == 'UPerHead'
        assert list(dec.in_channels) == [64, 128, 320, 512]
        assert tuple(dec.pool_scales) == (1, 2, 3, 6) and dec.channels == 512
        aux = cfg.model.auxiliary_head
        assert aux.type == 'FCNHead' and aux.in_index == 2
        assert aux.in_channels == 320 and aux.channels == 256
        assert aux.num_classes == 150
        assert aux.loss_decode.loss_weight == pytest.approx(0.4)
        assert cfg.model.get('neck') is None
    else:
        assert dec.type == 'FPNHead' and dec.channels == 128
        assert list(cfg.model.neck.in_channels) == [64, 128, 320, 512]
        assert cfg.model.neck.out_channels == 256
        assert cfg.model.neck.num_outs == 4
        assert cfg.model.get('auxiliary_head') is None
    pre = cfg.model.data_preprocessor
    assert pre.mean == IMAGENET_MEAN and pre.std == IMAGENET_STD
    assert pre.bgr_to_rgb is True and tuple(pre.size) == (512, 512)

    # optimiser
    assert cfg.optim_wrapper.type == 'OptimWrapper'  # no AMP officially
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'AdamW' and tuple(opt.betas) == (0.9, 0.999)
    assert opt.lr == pytest.approx(official['lr'])
    assert opt.weight_decay == pytest.approx(official['wd'])
    paramwise = cfg.optim_wrapper.get('paramwise_cfg')
    if official['norm_decay_mult'] is None:
        assert not paramwise
    else:
        assert paramwise == dict(custom_keys=dict(norm=dict(decay_mult=0.)))

    # schedule
    warmup_iters, start = official['warmup']
    warm, main = cfg.param_scheduler
    assert warm.type == 'LinearLR' and warm.by_epoch is False
    assert warm.start_factor == pytest.approx(start)
    assert (warm.begin, warm.end) == (0, warmup_iters)
    # the main schedule spans every iteration (mmcv 1.x semantics)
    assert (main.begin, main.end, main.by_epoch) == (0, official['iters'],
                                                     False)
    if head == 'upernet':
        assert main.type == 'PolyLR'
        assert main.power == 1.0 and main.eta_min == 0.0
    else:
        assert main.type == 'CosineAnnealingLR'
        assert main.T_max == official['iters']
        assert main.eta_min_ratio == pytest.approx(1e-8)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == official['iters']

    # data
    train_loader = cfg.train_dataloader
    assert train_loader.batch_size == official['batch']
    assert train_loader.sampler.type == 'InfiniteSampler'
    dataset = train_loader.dataset
    if head == 'fpn':
        assert dataset.type == 'RepeatDataset' and dataset.times == 50
        dataset = dataset.dataset
    assert dataset.type == 'ADE20KDataset'
    train_pipeline = dataset.pipeline
    resize = _pipeline_step(train_pipeline, 'RandomResize')
    assert tuple(resize.scale) == (2048, 512)
    assert tuple(resize.ratio_range) == (0.5, 2.0)
    crop = _pipeline_step(train_pipeline, 'RandomCrop')
    assert tuple(crop.crop_size) == (512, 512)
    assert crop.cat_max_ratio == 0.75
    assert _pipeline_step(train_pipeline, 'RandomFlip').prob == 0.5
    _pipeline_step(train_pipeline, 'PhotoMetricDistortion')
    assert _pipeline_step(train_pipeline,
                          'LoadAnnotations').reduce_zero_label is True
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        test_pipeline = loader.dataset.pipeline
        assert tuple(_pipeline_step(test_pipeline,
                                    'Resize').scale) == (2048, 512)
        multiple = [t for t in test_pipeline
                    if t['type'] == 'ResizeToMultiple']
        if head == 'fpn':  # the official AlignResize
            assert [t['size_divisor'] for t in multiple] == [32]
        else:
            assert not multiple
    assert cfg.test_evaluator.type == 'IoUMetric'
    assert list(cfg.test_evaluator.iou_metrics) == ['mIoU']



@pytest.mark.parametrize('head', ['upernet', 'fpn'])
def test_seg_lr_curve_matches_mmcv_semantics(head):
    """The official runs (mmcv 1.x) multiply the warm-up factor into a poly
    / cosine curve that starts at iteration 0 (not at the end of the
    warm-up, as mmseg's own Swin configs do); the configs must give that
    curve. mmengine's LinearLR / PolyLR reach their end value at ``end - 1``
    (mmcv: at ``end``), an accepted one-iteration difference."""
    official = SEG_HEADS[head]
    path = osp.join(SEG_DIR, 'uniformer',
                    f'{head}_uniformer-s-g_{SEG_SCHED[head]}'
                    '_ade20k-512x512.py')
    cfg = Config.fromfile(path)
    warmup_iters, start = official['warmup']
    steps = warmup_iters + 1000
    lrs = _simulate_lr(cfg, torch.nn.Linear(2, 2), steps)
    base, total = official['lr'], official['iters']
    for t in (0, 1, warmup_iters // 2, warmup_iters - 1, warmup_iters,
              steps - 1):
        warm = start + (1 - start) * min(t / (warmup_iters - 1), 1.)
        if head == 'upernet':
            regular = base * (1 - t / (total - 1))
        else:
            eta = base * 1e-8
            regular = eta + (base - eta) * (1 + math.cos(
                math.pi * t / total)) / 2
        assert lrs[t] == pytest.approx(warm * regular, rel=1e-6), t
    # a main curve starting after the warm-up would be ~1% higher here
    t = steps - 1
    late = (1 - (t - warmup_iters) / (total - warmup_iters)) if (
        head == 'upernet') else (1 + math.cos(
            math.pi * (t - warmup_iters) / (total - warmup_iters))) / 2
    assert lrs[t] < base * late * (1 - 1e-4)


# ---------------------------------------------------------------------------
# tests: pose recipes
# ---------------------------------------------------------------------------
POSE_RECIPE_FILES = [p for p in POSE_FILES if not _is_base(p)]


@pytest.mark.parametrize('path', POSE_RECIPE_FILES, ids=_name)
def test_pose_recipe(path):
    (arch, (h, w), (hh, hw), sigma, lr, batch, drop_path, kernel,
     ap) = POSE_RECIPES[osp.basename(path)]
    assert 70 < ap < 80
    cfg = Config.fromfile(path)

    # codec: input / heatmap size (W, H), sigma, official modulate kernel
    codec = cfg.codec
    assert codec.type == 'MSRAHeatmap'
    assert tuple(codec.input_size) == (w, h)
    assert tuple(codec.heatmap_size) == (hw, hh)
    assert (hh, hw) == (h // 4, w // 4)
    assert codec.sigma == sigma
    assert codec.blur_kernel_size == kernel
    assert not codec.get('unbiased', False)  # post-process 'default'

    # backbone: global MHRA, only the stride-32 map
    bb = cfg.model.backbone
    assert bb.type == 'mmuniformer.UniFormer'
    assert bb.arch == arch and bb.head_dim == 64
    assert bb.attn_mode == 'global'
    assert bb.drop_path_rate == pytest.approx(drop_path)
    assert tuple(bb.out_indices) == (3, )
    assert not bb.with_cp
    assert bb.frozen_stages == -1 and bb.norm_eval is False
    assert bb.init_cfg == dict(type='Pretrained',
                               checkpoint=PRETRAINED[arch])

    # head: three 4x4 deconvs of 256 channels, 1x1 conv to 17 maps
    head = cfg.model.head
    assert head.type == 'HeatmapHead'
    assert head.in_channels == 512 and head.out_channels == 17
    assert tuple(head.deconv_out_channels) == (256, 256, 256)
    assert tuple(head.deconv_kernel_sizes) == (4, 4, 4)
    assert head.loss == dict(type='KeypointMSELoss', use_target_weight=True)
    assert head.decoder == codec
    assert cfg.model.test_cfg == dict(flip_test=True, flip_mode='heatmap',
                                      shift_heatmap=True)
    pre = cfg.model.data_preprocessor
    assert pre.mean == IMAGENET_MEAN and pre.std == IMAGENET_STD
    assert pre.bgr_to_rgb is True

    # optimiser: AdamW, wd 0.01; official fp16 dynamic loss scale, here bf16
    # autocast (dtype=float16 switches back to the official fp16 + scale)
    assert cfg.optim_wrapper.type == 'mmuniformer.AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'AdamW' and tuple(opt.betas) == (0.9, 0.999)
    assert opt.lr == pytest.approx(lr)
    assert opt.weight_decay == pytest.approx(0.01)
    assert not cfg.optim_wrapper.get('paramwise_cfg')
    assert cfg.auto_scale_lr.base_batch_size == 8 * batch

    # schedule: 210 epochs, x0.1 at 170 / 200, 500 warm-up iterations
    assert cfg.train_cfg.max_epochs == 210 and cfg.train_cfg.by_epoch
    warm, step = cfg.param_scheduler
    assert warm.type == 'LinearLR' and warm.by_epoch is False
    assert (warm.begin, warm.end) == (0, 500)
    assert warm.start_factor == pytest.approx(0.001)
    assert step.type == 'MultiStepLR' and step.by_epoch is True
    assert list(step.milestones) == [170, 200]
    assert step.gamma == pytest.approx(0.1)
    assert (step.begin, step.end) == (0, 210)

    # data: COCO top-down, official augmentation, detections AP 56
    train = cfg.train_dataloader
    assert train.batch_size == batch
    assert train.dataset.type == 'CocoDataset'
    assert train.dataset.data_mode == 'topdown'
    pipeline = train.dataset.pipeline
    assert _pipeline_step(pipeline, 'RandomFlip').direction == 'horizontal'
    half_body = _pipeline_step(pipeline, 'RandomHalfBody')
    assert half_body.get('prob', 0.3) == 0.3
    assert half_body.get('min_total_keypoints', 9) == 9  # > 8 joints
    bbox = _pipeline_step(pipeline, 'RandomBBoxTransform')
    assert bbox.shift_prob == 0.  # no shift in the official pipeline
    assert tuple(bbox.scale_factor) == (0.5, 1.5)
    assert bbox.rotate_prob == 0.6
    assert bbox.rotate_factor == 80.  # mmpose 1.x form of rot_factor 40
    assert _pipeline_step(pipeline,
                          'TopdownAffine').input_size == codec.input_size
    assert _pipeline_step(pipeline, 'GenerateTarget').encoder == codec
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        ds = loader.dataset
        assert ds.test_mode is True
        assert ds.bbox_file.endswith(
            'COCO_val2017_detections_AP_H_56_person.json')
        assert _pipeline_step(ds.pipeline,
                              'TopdownAffine').input_size == codec.input_size
    assert cfg.test_evaluator.type == 'CocoMetric'
    assert cfg.test_evaluator.ann_file.endswith(
        'person_keypoints_val2017.json')
    assert cfg.default_hooks.checkpoint.save_best == 'coco/AP'

    # the built model and codec
    from mmpose.registry import KEYPOINT_CODECS
    built_codec = KEYPOINT_CODECS.build(dict(codec))
    assert built_codec.sigma == sigma
    assert tuple(built_codec.heatmap_size) == (hw, hh)
