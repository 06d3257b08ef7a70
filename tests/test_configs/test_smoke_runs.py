"""A CPU smoke run of every shipped video training config (issue 21): one
training iteration each, through mmengine's Runner, with the overrides of
docs/user_guides/prepare_data.md ("Smoke run on CPU") on generated clips.

Each config keeps its own pipelines, data set type, head, data
preprocessor (Mixup / CutMix), optimizer wrapper, schedule and hooks; the
UniFormer3D trunk is replaced by a tiny arch (4 stages of one block, widths
16-64) and the head's input width follows, so that ~50 runs fit in the
suite (a full-size UniFormer-B step takes tens of seconds on CPU). The
light (UniFormerLight3D) configs keep their own XXS / XS arch (each run
2-7 s here). The detection, segmentation, pose and classification configs
get theirs in ``test_dense_smoke_runs.py``."""
import argparse
import glob
import os
import os.path as osp

import pytest
from mmengine.config import Config, DictAction

import mmuniformer  # noqa: F401
from mmuniformer.datasets import make_motion_dataset

from conftest import REPO  # noqa: E402

CONFIGS = sorted(
    osp.relpath(p, REPO) for p in
    glob.glob(osp.join(REPO, 'configs', 'recognition', '**', '*.py'),
              recursive=True) if '_base_' not in p)
PAGE = osp.join(REPO, 'docs', 'user_guides', 'prepare_data.md')
# the page's overrides, with {root} / {ann} for the generated data
SMOKE_OPTIONS = [
    'model.backbone.init_cfg=None',
    'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'train_dataloader.dataset.ann_file={ann}',
    'train_dataloader.dataset.data_prefix.{key}={root}',
    'train_cfg.max_epochs=1', 'val_cfg=None', 'val_dataloader=None',
    'val_evaluator=None', 'default_hooks.checkpoint=None',
]
TINY3D = dict(depths=(1, 1, 1, 1), embed_dims=(16, 32, 64, 64),
              head_dim=16)


@pytest.fixture(scope='module')
def smoke_data(tmp_path_factory):
    """One generated clip as a video list and as a frame list."""
    import cv2
    import decord
    root = str(tmp_path_factory.mktemp('smoke'))
    anns = make_motion_dataset(root, num_train=1, num_val=1, frames=16,
                               size=64, seed=0)
    name = open(anns['train']).read().split()[0]
    frames = decord.VideoReader(osp.join(root, name))
    folder = osp.join(root, 'frames', 'clip0')
    os.makedirs(folder)
    for i in range(len(frames)):
        cv2.imwrite(osp.join(folder, f'{i + 1:05d}.jpg'),
                    frames[i].asnumpy()[..., ::-1])
    frame_list = osp.join(root, 'frames.txt')
    with open(frame_list, 'w') as f:
        f.write(f'clip0 {len(frames)} 0\n')
    return dict(video=(root, anns['train']),
                img=(osp.join(root, 'frames'), frame_list))


def smoke_config(config, data, work_dir):
    cfg = Config.fromfile(osp.join(REPO, config))
    key = 'img' if 'img' in cfg.train_dataloader.dataset.data_prefix \
        else 'video'
    root, ann = data[key]
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = [o.format(root=root, ann=ann, key=key) for o in SMOKE_OPTIONS]
    cfg.merge_from_dict(parser.parse_args(
        ['--cfg-options', *options]).cfg_options)
    backbone = cfg.model.backbone
    if backbone.type == 'mmuniformer.UniFormer3D':
        backbone.arch = dict(TINY3D)
        cfg.model.cls_head.in_channels = TINY3D['embed_dims'][-1]
    cfg.work_dir = str(work_dir)
    cfg.visualizer.name = 'smoke_' + osp.basename(config)
    cfg.experiment_name = 'smoke_' + osp.basename(config)
    return cfg


def test_page_gives_the_overrides():
    text = open(PAGE, encoding='utf-8').read()
    for option in SMOKE_OPTIONS:
        option = option.replace('{key}', 'video').split('=')[0] + '='
        assert option in text, option


def test_every_shipped_video_config_is_covered():
    # counted by hand: 40 files in configs/recognition/uniformer/ plus the
    # headline (uniformer_b_sthv2.py) and fine-tuning recipes
    assert len(CONFIGS) >= 42, CONFIGS
    assert 'configs/recognition/uniformer_b_sthv2.py' in CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_one_iteration_on_cpu(config, smoke_data, tmp_path):
    from mmengine.runner import Runner
    runner = Runner.from_cfg(smoke_config(config, smoke_data, tmp_path))
    runner.train()
    assert runner.iter == 1

