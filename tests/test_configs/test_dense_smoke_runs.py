"""A CPU smoke run of every shipped detection, segmentation, pose and
classification config (issue 21), next to the video ones in
``test_smoke_runs.py``: one training iteration each through mmengine's
Runner on generated data (COCO boxes and masks, ADE20K-format maps,
ImageFolder images with token-label files from the shipped generator) or
the shared COCO keypoint images; the segmentation test-time variants
(``_g`` global, ``_h32`` hybrid, ``_w32`` window attention) run
MMSegmentation's test loop with ``IoUMetric`` on one image.

The configs are shrunk as in the hosts' end-to-end tests
(``tests/test_hosts/``): tiny UniFormer (the light models as shipped),
narrow necks and heads, small images, BN for SyncBN, no workers, fp32
through the documented switch. Pipelines, data preprocessors (Mixup /
CutMix), heads, losses, MixToken, optimizer types and hooks stay the
configs' own. 8 + 22 + 6 + 34 configs, 1-6 s each."""
import glob
import os.path as osp
import re

import pytest

from conftest import REPO, importorskip  # noqa: E402

importorskip('mmseg')
from test_hosts.test_segmentation_e2e import (make_ade20k,  # noqa: E402
                                              tiny_cpu_config)

def _configs(task):
    return sorted(glob.glob(osp.join(REPO, 'configs', task, 'uniformer',
                                     '*.py')))


def _one_iteration(cfg, name, scope=None):
    """Train ``cfg`` for its one iteration (in ``scope`` when given)."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    cfg.visualizer.name = f'smoke_{name}'
    with DefaultScope.overwrite_default_scope(scope):
        runner = Runner.from_cfg(cfg)
        runner.train()
    assert runner.iter == 1


SEG = _configs('segmentation')
TEST_VARIANT = re.compile(r'_(g|h32|w32)\.py$')
SEG_TRAIN = [osp.basename(p) for p in SEG if not TEST_VARIANT.search(p)]
SEG_TEST = [osp.basename(p) for p in SEG if TEST_VARIANT.search(p)]


@pytest.fixture(scope='module')
def ade_data(tmp_path_factory):
    return make_ade20k(str(tmp_path_factory.mktemp('ade')))


def test_every_seg_config_is_run():
    assert len(SEG_TRAIN) >= 10 and len(SEG_TEST) >= 12, (SEG_TRAIN,
                                                           SEG_TEST)
    assert any('light' in c for c in SEG_TRAIN)


def _cfg(name, data, tmp_path):
    cfg = tiny_cpu_config(osp.join(REPO, 'configs', 'segmentation',
                                   'uniformer', name), data, str(tmp_path))
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.name = f'seg_smoke_{name}'
    return cfg


@pytest.mark.parametrize('name', SEG_TRAIN)
def test_seg_training_config_one_iteration(name, ade_data, tmp_path,
                                           one_thread):
    cfg = _cfg(name, ade_data, tmp_path)
    cfg.train_cfg.max_iters = 1
    _one_iteration(cfg, name)


@pytest.mark.parametrize('name', SEG_TEST)
def test_seg_test_variant_runs_its_test_loop(name, ade_data, tmp_path,
                                             one_thread):
    from mmengine.runner import Runner
    cfg = _cfg(name, ade_data, tmp_path)
    cfg.test_dataloader.dataset.indices = 1  # one validation image
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert 'mIoU' in metrics


# -- detection: every shipped config trains one iteration -------------------
DET = [osp.basename(p) for p in _configs('detection')]


@pytest.fixture(scope='module')
def coco_data(tmp_path_factory):
    importorskip('mmdet')
    from test_hosts.test_detection_e2e import make_coco
    root = str(tmp_path_factory.mktemp('coco'))
    return root, make_coco(root)


def test_every_det_config_is_run():
    assert len(DET) >= 8 and any('cascade' in c for c in DET)


@pytest.mark.parametrize('name', DET)
def test_det_config_one_iteration(name, coco_data, tmp_path, one_thread):
    from test_hosts.test_detection_e2e import tiny_cpu_config as det_config
    root, ann = coco_data
    cfg = det_config(root, ann, str(tmp_path), config=osp.join(
        REPO, 'configs', 'detection', 'uniformer', name))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1,
                         val_interval=2)
    _one_iteration(cfg, name)


# -- pose: every shipped config trains one iteration ------------------------
POSE = [osp.basename(p) for p in _configs('pose')]


def test_every_pose_config_is_run():
    assert len(POSE) >= 6


@pytest.mark.parametrize('name', POSE)
def test_pose_config_one_iteration(name, shared_data, tmp_path, one_thread):
    importorskip('mmpose')
    from test_hosts.test_pose_e2e import ANN
    from test_hosts.test_pose_e2e import tiny_cpu_config as pose_config
    root = osp.join(shared_data, 'coco_pose')
    assert osp.isfile(osp.join(root, ANN)), f'{root}/{ANN} missing'
    cfg = pose_config(root, str(tmp_path), config=osp.join(
        REPO, 'configs', 'pose', 'uniformer', name))
    cfg.train_cfg = dict(by_epoch=False, max_iters=1, val_interval=2)
    cfg.param_scheduler = []
    _one_iteration(cfg, name)


# -- classification: every shipped config trains one iteration -------------
CLS = [osp.basename(p) for p in _configs('classification')]
CLS_TINY = dict(depths=(1, 1, 1, 1), embed_dims=(16, 32, 48, 64),
                head_dim=16)


@pytest.fixture(scope='module')
def imagefolder(tmp_path_factory):
    """Generated 64 px ImageFolder images and their token-label files (the
    shipped generator, from the token-labeling e2e test's teacher)."""
    importorskip('mmpretrain')
    from conftest import load_script
    from test_hosts import test_token_labeling_e2e as tl
    tmp = tmp_path_factory.mktemp('cls')
    root = str(tmp / 'data')
    tl.make_images(root)
    cfg, ckpt = tl.make_teacher(tmp)
    gen = load_script(tl.GEN, 'gen_token_labels_smoke')
    labels = str(tmp / 'labels' / 'train')
    assert gen.main([cfg, ckpt, osp.join(root, 'train'), labels,
                     '--img-size', str(tl.SIZE), '--batch-size', '16']) == 0
    return root, labels, len(tl.NAMES)


def _shrink_cls(cfg, root, labels, num_classes):
    model = cfg.model
    if 'Light' in model.backbone.type:  # the light XXS / XS as shipped
        from mmuniformer.models import stage_channels
        width = stage_channels(model.backbone.arch)[-1]
    else:
        model.backbone.arch = dict(CLS_TINY)
        model.backbone.head_dim = None
        width = CLS_TINY['embed_dims'][-1]
    model.backbone.init_cfg = None
    model.head.update(num_classes=num_classes, in_channels=width)
    if model.get('data_preprocessor'):
        model.data_preprocessor.num_classes = num_classes
    if cfg.get('data_preprocessor'):
        cfg.data_preprocessor.num_classes = num_classes
    pipeline = cfg.train_dataloader.dataset.pipeline
    for t in pipeline:
        if 'RandomResizedCrop' in t['type']:
            t['scale'] = 64
        elif t['type'] == 'mmuniformer.LoadTokenLabel':
            t['label_root'] = labels
        elif t['type'] == 'mmuniformer.PackTokenLabelInputs':
            t.update(num_classes=num_classes, label_size=2)
    cfg.train_dataloader = dict(
        batch_size=4, num_workers=0, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='CustomDataset', data_root=root,
                     data_prefix='train', pipeline=pipeline))
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.train_cfg = dict(by_epoch=False, max_iters=1, val_interval=2)
    cfg.param_scheduler = []
    if cfg.optim_wrapper.get('type') == 'mmuniformer.AmpOptimWrapper':
        cfg.optim_wrapper.dtype = 'float32'  # the documented fp32 switch
    cfg.default_hooks.checkpoint = None
    cfg.load_from = None
    return cfg


def test_every_cls_config_is_run():
    assert len(CLS) >= 34
    assert sum('tl-train' in c for c in CLS) >= 11
    assert sum('light' in c for c in CLS) >= 6


@pytest.mark.parametrize('name', CLS)
def test_cls_config_one_iteration(name, imagefolder, tmp_path, one_thread):
    from mmengine.config import Config
    root, labels, num_classes = imagefolder
    cfg = _shrink_cls(Config.fromfile(osp.join(
        REPO, 'configs', 'classification', 'uniformer', name)), root, labels,
        num_classes)
    cfg.work_dir = str(tmp_path)
    _one_iteration(cfg, name, scope='mmpretrain')
