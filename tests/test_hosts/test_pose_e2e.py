"""End to end in MMPose: the shipped UniFormer 256x192 top-down config,
shrunk for CPU, trains a few epochs with mmengine's Runner on the real COCO
images and keypoint annotations of ``<repo>/../shared/data/coco_pose`` and
is then evaluated with MMPose's real ``CocoMetric`` (ground-truth boxes,
flip test with shifted heatmaps as shipped)."""
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmuniformer  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'pose', 'uniformer',
                  'td-hm_uniformer-s_8xb128-210e_coco-256x192.py')
ANN = 'test_coco.json'
TINY = dict(depths=(1, 1, 2, 1), embed_dims=(16, 32, 64, 64), head_dim=16)
DECONV = 32  # deconv width of the shrunk head
BATCH = 2
EPOCHS = 3


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def coco_pose(shared_data):
    root = osp.join(shared_data, 'coco_pose')
    if not osp.isfile(osp.join(root, ANN)):
        pytest.skip(f'COCO pose test data not found at {root}/{ANN}')
    return root


def tiny_cpu_config(data_root, work_dir):
    """The shipped config, shrunk for a CPU smoke run: tiny UniFormer, a
    narrow head, ground-truth boxes at test time, batch 2, no workers, no
    AMP, the official schedulers compressed to ``EPOCHS``."""
    cfg = Config.fromfile(CONFIG)
    model = cfg.model
    model.backbone.update(arch=TINY, head_dim=16, drop_path_rate=0.1,
                          init_cfg=None)
    model.head.update(in_channels=TINY['embed_dims'][3],
                      deconv_out_channels=(DECONV, ) * 3)

    for split in ('train_dataloader', 'test_dataloader'):
        loader = cfg[split]
        loader.update(batch_size=BATCH, num_workers=0,
                      persistent_workers=False)
        loader.dataset.update(data_root=data_root, ann_file=ANN,
                              data_prefix=dict(img=''))
    # use_gt_bbox: no person detections file
    cfg.test_dataloader.dataset.bbox_file = None
    cfg.test_evaluator = dict(type='CocoMetric',
                              ann_file=osp.join(data_root, ANN))
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None

    cfg.train_cfg = dict(by_epoch=True, max_epochs=EPOCHS,
                         val_interval=EPOCHS + 1)
    # No AMP on CPU: the plain wrapper with the same AdamW.
    cfg.optim_wrapper = dict(type='OptimWrapper',
                             optimizer=cfg.optim_wrapper.optimizer)
    warmup, step = cfg.param_scheduler
    warmup.end = 4
    step.update(milestones=[EPOCHS - 1], end=EPOCHS)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.name = 'pose_vis_' + osp.basename(work_dir)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    return cfg


def test_topdown_train_and_coco_eval(coco_pose, tmp_path):
    cfg = tiny_cpu_config(coco_pose, str(tmp_path / 'work'))
    assert tuple(cfg.codec.input_size) == (192, 256)
    with DefaultScope.overwrite_default_scope('mmpose'):
        runner = Runner.from_cfg(cfg)
        backbone = runner.model.backbone
        assert type(backbone).__name__ == 'UniFormer'
        assert backbone.out_indices == (3, )
        assert runner.model.test_cfg['flip_test'] is True
        runner.train()
        iters_per_epoch = len(runner.train_dataloader)
        assert iters_per_epoch >= 4  # the 4 images hold >= 8 people
        assert runner.iter == EPOCHS * iters_per_epoch

        history = runner.message_hub.get_scalar('train/loss_kpt').data[0]
        assert len(history) == runner.iter
        assert np.isfinite(history).all() and (history > 0).all()
        assert np.mean(history[-3:]) < np.mean(history[:3])  # seeded
        acc = runner.message_hub.get_scalar('train/acc_pose').data[0]
        assert np.isfinite(acc).all()

        metrics = runner.test()
    for key in ('coco/AP', 'coco/AP .5', 'coco/AR'):
        assert key in metrics, sorted(metrics)
        value = metrics[key]
        assert isinstance(value, (float, np.floating)), (key, value)
        assert math.isfinite(value) and 0. <= value <= 1., (key, value)
