"""The shipped video pipelines with our transforms against today's stock
MMAction2 transforms (decord, TorchVisionWrapper RandAugment), on the real
clips (issue 19):

* test pipelines (K400 4 x 1, UCF101 5 x 3, SSv2 1 x 3, light): the same
  output tensors, bit for bit;
* training pipelines under the same torch / numpy seeds: bit-identical with
  ``exact_geometry=True`` (the same draws, the same values); with the
  shipped fast warps (ShearX / ShearY / Rotate within 1 grey level) at
  most 2 % of the output values differ, at most 0.1 % by more than 2 levels
  (a later Solarize / Equalize / AutoContrast can turn a 1-level change
  into a larger one at that pixel), mean difference <= 0.02 (measured over
  18 seeded clip pairs: 0.17 %, 0.008 %, 0.0023);
* repeated augmentation (RepeatAugDataset, frames sampled once, decoded
  once, augmented twice) gives the same two clips.
"""
import copy
import os.path as osp
import random
import sys

import numpy as np
import pytest
import torch

from conftest import importorskip, REPO

importorskip('mmaction')
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import benchmark  # noqa: E402

CFG = 'configs/recognition/uniformer/'
K400 = CFG + \
    'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py'
SSV2 = CFG + 'uniformer-small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb.py'
UCF = CFG + \
    'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_ucf101-split1-rgb.py'
LIGHT = CFG + 'uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_' \
    'kinetics400-160px-rgb.py'


def _datasets(cfg_path, split, video_dir, tmp_path, exact=False):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmuniformer  # noqa: F401
    cfg = Config.fromfile(osp.join(REPO, cfg_path))
    init_default_scope('mmaction')
    loader = cfg[f'{split}_dataloader']
    ann = tmp_path / 'list.txt'
    ann.write_text('test.mp4 0\ndemo.mp4 1\ntest.avi 2\n')
    pipeline = loader.dataset.pipeline
    ours = benchmark.fast_pipeline(pipeline)
    if exact:
        ours = [dict(t, exact_geometry=True)
                if t['type'] == 'mmuniformer.ClipRandAugment' else t
                for t in ours]
    stock = benchmark.stock_pipeline(pipeline)
    assert stock != ours
    return [benchmark._build_dataset(loader, p, str(ann), video_dir)[0]
            for p in (stock, ours)]


def _seeded(dataset, i, seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    out = dataset[i]
    return [o['inputs'] for o in (out if isinstance(out, list) else [out])]


@pytest.mark.parametrize('cfg', [K400, SSV2, UCF, LIGHT],
                         ids=['k400', 'sthv2', 'ucf101', 'light'])
def test_test_pipelines_identical(shared_data, tmp_path, cfg):
    stock, ours = _datasets(cfg, 'test', osp.join(shared_data, 'video'),
                            tmp_path)
    for i in range(3):
        a, b = _seeded(stock, i, 0), _seeded(ours, i, 0)
        assert [x.shape for x in a] == [y.shape for y in b]
        assert all(torch.equal(x, y) for x, y in zip(a, b)), i


@pytest.mark.parametrize('cfg', [K400, SSV2], ids=['k400', 'sthv2'])
def test_train_pipelines_same_draws(shared_data, tmp_path, cfg):
    video_dir = osp.join(shared_data, 'video')
    stock, exact = _datasets(cfg, 'train', video_dir, tmp_path, exact=True)
    _, fast = _datasets(cfg, 'train', video_dir, tmp_path)
    for i in range(3):
        for seed in range(4):
            a = _seeded(stock, i, seed)
            assert len(a) == 2  # repeated augmentation: 2 clips a video
            b = _seeded(exact, i, seed)
            assert all(torch.equal(x, y) for x, y in zip(a, b)), (i, seed)
            c = _seeded(fast, i, seed)
            for x, y in zip(a, c):
                diff = (x.int() - y.int()).abs().float()
                assert (diff > 0).float().mean() <= 0.02, (i, seed)
                assert (diff > 2).float().mean() <= 0.001, (i, seed)
                assert diff.mean() <= 0.02, (i, seed)


def test_stock_and_fast_pipelines_invert():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, K400))
    ours = cfg.train_dataloader.dataset.pipeline
    stock = benchmark.stock_pipeline(ours)
    types = [t['type'] for t in stock]
    assert types[:3] == ['DecordInit', 'SampleFrames', 'DecordDecode']
    assert stock[4] == dict(type='TorchVisionWrapper', op='RandAugment',
                            num_ops=4, magnitude=7, num_magnitude_bins=11,
                            interpolation=2)
    assert benchmark.fast_pipeline(stock) == [dict(t) for t in ours]
