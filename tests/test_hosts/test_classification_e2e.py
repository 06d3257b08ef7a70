"""MMPretrain end to end: a shipped classification config (tiny custom arch,
CPU settings) trained by ``mim train mmpretrain`` on a generated ImageFolder
set, evaluated with MMPretrain's ``Accuracy`` by ``mim test mmpretrain`` on
the saved checkpoint, against the untrained model; and an official-layout
ImageNet file loaded by the Runner (``load_from``, the path of ``mim test
--checkpoint``) that reproduces the official predictions on real images."""
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
import torch
from mmengine.config import Config

importorskip('mmpretrain')
pytestmark = pytest.mark.usefixtures('one_thread')

from official_layout import official_state  # noqa: E402
from reference_uniformer import image_logits  # noqa: E402

import mmuniformer  # noqa: E402,F401

from conftest import REPO  # noqa: E402  (the repository root)
from learning import IMAGEFOLDER_SCHEDULE  # noqa: E402
CFG_DIR = osp.join(REPO, 'configs', 'classification', 'uniformer')
SHIPPED = osp.join(CFG_DIR, 'uniformer-small_8xb128_in1k.py')
SHIPPED_TL = osp.join(CFG_DIR, 'uniformer-small_tl_8xb128_in1k.py')
# six colours (BGR) as classes: six, so that the shipped top-5 Accuracy
# metric has more classes than k
COLOURS = dict(red=(40, 40, 220), green=(40, 200, 40), blue=(220, 60, 40),
               yellow=(40, 220, 220), magenta=(200, 40, 200),
               cyan=(220, 220, 40))
NUM_TRAIN, NUM_VAL, SIZE = 8, 4, 40
EPOCHS = 12
# trained top-1 must beat the untrained model's by this many points
MARGIN = 40.

# CPU version of the shipped config: tiny arch, 32x32 crops, no RandAugment
# / RandomErasing (too strong for 12 short epochs), plain OptimWrapper (AMP
# refuses CPU), the official warm-up + cosine compressed to the run. Kept:
# ImageClassifier, UniFormerClsBackbone, GlobalAveragePooling,
# LinearClsHead with label smoothing, Mixup / CutMix, RepeatAugSampler,
# AdamW without decay on 1-D params, Accuracy top-1/5, the checkpoint hook.
DERIVED = """
_base_ = [{shipped!r}]
model = dict(
    backbone=dict(arch=dict(_delete_=True, depths=(1, 1, 1, 1),
                            embed_dims=(16, 32, 48, 64), head_dim=16),
                  head_dim=None, drop_path_rate=0.),
    head=dict(num_classes=6, in_channels=64))
data_preprocessor = dict(num_classes=6)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=36, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
{schedule}default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval={epochs}, save_best=None))
randomness = dict(seed=0)
"""


def make_imagefolder(root, seed=0):
    """``root/{train,val}/<colour>/*.png``: noisy images whose dominant
    colour is the class, with a grey rectangle of random size and place."""
    rng = np.random.default_rng(seed)
    for split, num in (('train', NUM_TRAIN), ('val', NUM_VAL)):
        for name, bgr in COLOURS.items():
            folder = osp.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(num):
                img = np.clip(np.array(bgr) + rng.normal(
                    0, 25, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
                x0, y0 = (int(v) for v in rng.integers(0, SIZE // 2, 2))
                w, h = (int(v) for v in rng.integers(6, SIZE // 2, 2))
                img[y0:y0 + h, x0:x0 + w] = 128
                cv2.imwrite(osp.join(folder, f'{i:03d}.png'), img)
    return root


def _top1(output):
    found = re.findall(r'accuracy/top1: ([0-9.]+)', output)
    assert found, output[-3000:]
    return float(found[-1])


def test_mim_train_then_mim_test(tmp_path):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    root = make_imagefolder(str(tmp_path / 'data'))
    config = tmp_path / 'uniformer-tiny_cpu_colours.py'
    config.write_text(DERIVED.format(
        shipped=SHIPPED, epochs=EPOCHS, schedule=IMAGEFOLDER_SCHEDULE.format(
            root=root, epochs=EPOCHS, val_batch=8)))
    env = dict(os.environ, OMP_NUM_THREADS='1')

    # the untrained model (same seed, same init) on the same val set
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(tmp_path / 'untrained')
    cfg.visualizer.name = 'cls_untrained'
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        untrained = Runner.from_cfg(cfg).test()['accuracy/top1']

    work = tmp_path / 'work'
    res = subprocess.run(
        [sys.executable, '-m', 'mim', 'train', 'mmpretrain', str(config),
         '--gpus', '0', '--work-dir', str(work)],
        capture_output=True, text=True, timeout=600, env=env)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    ckpt = work / f'epoch_{EPOCHS}.pth'
    assert osp.isfile(ckpt)
    # what was trained is the config's UniFormer backbone: the checkpoint
    # loads strictly into a UniFormerClsBackbone of the derived arch (the
    # final BN included), with nothing left over
    from mmuniformer.models import UniFormerClsBackbone
    saved = torch.load(ckpt, map_location='cpu', weights_only=False)
    trunk = {k[len('backbone.'):]: v for k, v in saved['state_dict'].items()
             if k.startswith('backbone.')}
    backbone = UniFormerClsBackbone(dict(depths=(1, 1, 1, 1),
                                         embed_dims=(16, 32, 48, 64),
                                         head_dim=16))
    backbone.load_state_dict(trunk, strict=True)
    assert 'backbone.norm.running_var' in saved['state_dict']
    losses = [float(v) for v in re.findall(r'\bloss: ([0-9.]+)', out)]
    assert len(losses) >= EPOCHS and np.isfinite(losses).all()

    res = subprocess.run(
        [sys.executable, '-m', 'mim', 'test', 'mmpretrain', str(config),
         '--checkpoint', str(ckpt), '--gpus', '0', '--work-dir',
         str(tmp_path / 'test')],
        capture_output=True, text=True, timeout=600, env=env)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    trained = _top1(out)
    print(f'top-1 untrained {untrained:.1f}, trained {trained:.1f}')
    assert trained >= untrained + MARGIN, (untrained, trained)


def test_official_file_through_load_from_reproduces_official_top1(tmp_path):
    """An official token-labeling S file (official layout, random values)
    evaluated by the Runner with ``load_from``: the labels of the set are
    the official model's own predictions (reference forward), so top-1 is
    100 exactly when every prediction equals the official one."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    state = official_state('image_small_tl')
    src = tmp_path / 'uniformer_small_tl_224.pth'
    torch.save({'model': state, 'epoch': 299}, src)
    rng = np.random.default_rng(1)
    mean = np.array([123.675, 116.28, 103.53])
    std = np.array([58.395, 57.12, 57.375])
    lines = []
    os.makedirs(tmp_path / 'imgs')
    for i in range(4):
        bgr = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        cv2.imwrite(str(tmp_path / 'imgs' / f'{i}.png'), bgr)
        rgb = (bgr[..., ::-1].astype(np.float64) - mean) / std
        x = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float()
        label = int(image_logits(x, state, 32).argmax(1))
        lines.append(f'{i}.png {label}\n')
    (tmp_path / 'ann.txt').write_text(''.join(lines))

    cfg = Config.fromfile(SHIPPED_TL)
    cfg.test_dataloader = dict(
        batch_size=2, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='CustomDataset', data_root=str(tmp_path),
                     data_prefix='imgs', ann_file='ann.txt',
                     pipeline=[dict(type='LoadImageFromFile'),
                               dict(type='PackInputs')]))
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
    cfg.param_scheduler = None
    cfg.load_from = str(src)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.visualizer.name = 'cls_official'
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        metrics = Runner.from_cfg(cfg).test()
    assert metrics['accuracy/top1'] == 100.
