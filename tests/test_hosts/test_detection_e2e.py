"""End to end in MMDetection: a shipped UniFormer Mask R-CNN config, shrunk
for CPU, trains a few iterations with mmengine's Runner on a tiny synthetic
COCO instance set and is then evaluated with MMDetection's real CocoMetric
(bbox + segm) on held-out images, against the same model untrained."""
import copy
import json
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mmuniformer  # noqa: F401
from learning import (StartWeights, assert_loss_falls,
                      evaluate_trained_and_untrained, heldout_batches,
                      mean_heldout_loss)

from conftest import REPO  # noqa: E402  (the repository root)
CONFIG = osp.join(REPO, 'configs', 'detection', 'uniformer',
                  'mask-rcnn_uniformer-s-h14_fpn_1x_coco.py')
CLASSES = ('box', 'blob')
# Tiny UniFormer: one block per stage except a 4-block hybrid stage 3
# (blocks 0-2 windowed, block 3 global).
TINY = dict(depths=(1, 1, 4, 1), embed_dims=(16, 32, 64, 64), head_dim=16)
NUM_IMAGES = 8
NUM_HELDOUT = 4
BATCH = 2
EPOCHS = 4  # 8 images / 2 per batch x 4 epochs = 16 iterations
SCALE = (128, 128)
CH = 32  # neck / head width


def _polygon_area(poly):
    x, y = poly[0::2], poly[1::2]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) -
                           np.dot(y, np.roll(x, 1))))


def make_coco(root, num_images=NUM_IMAGES, seed=0):
    """Write ``root/images/*.png`` and ``root/annotations.json``: images of
    64-128 px on a noisy background with 1-3 filled rectangles (class 1)
    or ellipses (class 2), polygon segmentations."""
    rng = np.random.default_rng(seed)
    img_dir = osp.join(root, 'images')
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    for img_id in range(1, num_images + 1):
        h, w = (int(v) for v in rng.integers(64, 129, size=2))
        img = rng.integers(0, 60, size=(h, w, 3), dtype=np.uint8)
        for k in range(1 + img_id % 3):
            # Classes alternate so both appear in every split of the set.
            cat = 1 + (img_id + k) % 2
            bw, bh = (int(v) for v in rng.integers(16, min(h, w) // 2 + 1,
                                                   size=2))
            x0 = int(rng.integers(0, w - bw))
            y0 = int(rng.integers(0, h - bh))
            colour = tuple(int(c) for c in rng.integers(120, 256, size=3))
            if cat == 1:
                pts = np.array([[x0, y0], [x0 + bw, y0], [x0 + bw, y0 + bh],
                                [x0, y0 + bh]], dtype=np.int32)
            else:
                pts = cv2.ellipse2Poly((x0 + bw // 2, y0 + bh // 2),
                                       (bw // 2, bh // 2), 0, 0, 360, 15)
            cv2.fillPoly(img, [pts], colour)
            poly = pts.astype(float).reshape(-1)
            xs, ys = poly[0::2], poly[1::2]
            annotations.append(dict(
                id=len(annotations) + 1, image_id=img_id, category_id=cat,
                segmentation=[poly.tolist()],
                area=_polygon_area(poly),
                bbox=[float(xs.min()), float(ys.min()),
                      float(xs.max() - xs.min()),
                      float(ys.max() - ys.min())],
                iscrowd=0))
        name = f'{img_id:03d}.png'
        cv2.imwrite(osp.join(img_dir, name), img)
        images.append(dict(id=img_id, file_name=name, height=h, width=w))
    coco = dict(images=images, annotations=annotations,
                categories=[dict(id=i + 1, name=n)
                            for i, n in enumerate(CLASSES)])
    ann_file = osp.join(root, 'annotations.json')
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    return ann_file


def _shrink_resizes(pipeline):
    """Every resize of a pipeline (nested RandomChoice lists included) to
    ``SCALE``; crops to at most that size."""
    for t in pipeline:
        if isinstance(t, list):
            _shrink_resizes(t)
            continue
        if 'transforms' in t:
            _shrink_resizes(t['transforms'])
        if t['type'] in ('Resize', 'RandomResize', 'RandomChoiceResize'):
            t.pop('scales', None)
            t['scale'] = SCALE
            if t['type'] == 'RandomChoiceResize':
                t['scales'] = [SCALE]
                t.pop('scale')
            if t['type'] == 'RandomResize':
                t['ratio_range'] = (0.8, 1.0)
        elif t['type'] == 'RandomCrop':
            t['crop_size'] = (48, 48)
    return pipeline


def tiny_cpu_config(data_root, ann_file, work_dir, heldout=None,
                    config=CONFIG):
    """A shipped config (Mask R-CNN by default; Cascade and the light ones
    too), shrunk for a CPU smoke run; tested on ``heldout = (data_root,
    ann_file)`` when given."""
    cfg = Config.fromfile(config)
    model = cfg.model
    if 'Light' in model.backbone.type:  # the light XXS / XS as shipped
        from mmuniformer.models import stage_channels
        model.backbone.update(init_cfg=None)
        dims = list(stage_channels(model.backbone.arch))
    else:
        model.backbone.update(arch=TINY, head_dim=16, window_size=4,
                              drop_path_rate=0.1, with_cp=(0, 0, 1, 0),
                              init_cfg=None)
        dims = list(TINY['embed_dims'])
    model.neck.update(in_channels=dims, out_channels=CH)
    model.rpn_head.update(in_channels=CH, feat_channels=CH)
    roi = model.roi_head
    roi.bbox_roi_extractor.out_channels = CH
    roi.mask_roi_extractor.out_channels = CH
    bbox_heads = roi.bbox_head if isinstance(roi.bbox_head, list) else \
        [roi.bbox_head]  # Cascade: one per stage
    for head in bbox_heads:
        head.update(in_channels=CH, fc_out_channels=64,
                    num_classes=len(CLASSES))
    roi.mask_head.update(in_channels=CH, conv_out_channels=CH,
                         num_classes=len(CLASSES))
    model.train_cfg.rpn.sampler.num = 64
    model.train_cfg.rpn_proposal.update(nms_pre=300, max_per_img=100)
    rcnn = model.train_cfg.rcnn
    for stage in rcnn if isinstance(rcnn, list) else [rcnn]:
        stage.sampler.num = 64
    model.test_cfg.rpn.update(nms_pre=300, max_per_img=100)
    model.test_cfg.rcnn.max_per_img = 20

    metainfo = dict(classes=CLASSES)
    for split in ('train_dataloader', 'test_dataloader'):
        loader = cfg[split]
        loader.update(batch_size=BATCH, num_workers=0,
                      persistent_workers=False)
        loader.dataset.update(data_root=data_root, ann_file=ann_file,
                              data_prefix=dict(img='images/'),
                              metainfo=metainfo)
        _shrink_resizes(loader.dataset.pipeline)
    if heldout is not None:
        data_root, ann_file = heldout
        cfg.test_dataloader.dataset.update(data_root=data_root,
                                           ann_file=ann_file)
    cfg.test_evaluator = dict(type='CocoMetric', ann_file=ann_file,
                              metric=['bbox', 'segm'], format_only=False)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None

    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=EPOCHS,
                         val_interval=EPOCHS + 1)
    # No AMP on CPU: the plain wrapper, same AdamW and param groups.
    cfg.optim_wrapper.dtype = 'float32'  # the documented fp32 switch
    cfg.optim_wrapper.optimizer.lr = 2e-4
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
             end=4)
    ]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    return cfg


def test_make_coco_is_valid(tmp_path):
    from pycocotools.coco import COCO
    ann_file = make_coco(str(tmp_path))
    coco = COCO(ann_file)
    assert len(coco.getImgIds()) == NUM_IMAGES
    assert sorted(coco.getCatIds()) == [1, 2]
    for ann in coco.loadAnns(coco.getAnnIds()):
        mask = coco.annToMask(ann)
        assert mask.sum() > 0 and ann['area'] > 0


def test_mask_rcnn_train_and_coco_eval(tmp_path):
    ann_file = make_coco(str(tmp_path / 'data'))
    heldout = (str(tmp_path / 'heldout'),
               make_coco(str(tmp_path / 'heldout'), NUM_HELDOUT, seed=1))
    cfg = tiny_cpu_config(str(tmp_path / 'data'), ann_file,
                          str(tmp_path / 'work'), heldout)
    runner = Runner.from_cfg(cfg)
    assert type(runner.model.backbone).__name__ == 'UniFormer'
    assert runner.model.backbone.global_block_indices() == (3, )
    start = StartWeights()
    runner.register_hook(start)
    runner.train()
    iters = EPOCHS * math.ceil(NUM_IMAGES / BATCH)
    assert runner.iter == iters

    history = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(history) == iters
    for key in ('loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'):
        values = runner.message_hub.get_scalar(f'train/{key}').data[0]
        assert np.isfinite(values).all(), key
    # loss, mean of the first 6 vs the last 6 iterations: measured 0.73
    # (seed 0) and 0.84 (seed 1); required <= 0.9
    assert_loss_falls(history, window=6, ratio=0.9)

    trained, untrained = evaluate_trained_and_untrained(runner, start)
    for metrics in (trained, untrained):
        for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP',
                    'coco/segm_mAP_50'):
            assert isinstance(metrics[key], float), (key, metrics)
    loader = copy.deepcopy(cfg.train_dataloader)
    loader.dataset.update(data_root=heldout[0], ann_file=heldout[1])
    batches = heldout_batches(runner, loader)
    loss_trained = mean_heldout_loss(runner.model, batches)
    loss_untrained = mean_heldout_loss(runner.model, batches, start.state)
    # held-out images. Loss (training pipeline, same batches): measured
    # 2.07 vs 3.58 (seed 0), 2.44 vs 3.15 (seed 1); required <= 0.85 x.
    assert loss_trained <= 0.85 * loss_untrained, (loss_trained,
                                                   loss_untrained)
    # CocoMetric box + mask AP50: untrained 0.0 in both runs, trained
    # 0.132 + 0.086 (seed 0), 0.027 + 0.127 (seed 1); required +0.1
    def ap50(m):
        return m['coco/bbox_mAP_50'] + m['coco/segm_mAP_50']

    assert ap50(trained) >= ap50(untrained) + 0.1, (trained, untrained)
