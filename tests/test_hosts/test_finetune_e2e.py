"""docs/user_guides/finetune.md, end to end on generated videos.

A folder of videos per class -> tools/data/build_video_lists.py -> a copy
of configs/recognition/uniformer_s_finetune_custom.py with the class count
edited -> `mim train` from a checkpoint in the official video layout (built
from the shared key list of the official K400 UniFormer-S file, not from our
modules) -> `mim test` -> tools/demo/video_demo.py with the class names.

CPU-sized: the checkpoint keeps the first block of each stage of the
official file (``blocks{1..4}.0``, every other tensor as it is), and a small
override config (the test's, as a user would for a smoke run) uses 8-frame
32x32 clips, no repeated augmentation, fp32 (optim_wrapper.dtype='float32')
and a constant lr for 3 epochs. The three classes differ by their dominant
colour (tinted background, moving disc); held-out top-1 must beat chance
(1/3) by at least 1/3.
"""
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO  # noqa: E402  (the repository root)
from official_layout import official_checkpoint  # tests/ (conftest)

CONFIG = osp.join(REPO, 'configs', 'recognition',
                  'uniformer_s_finetune_custom.py')
LISTS = osp.join(REPO, 'tools', 'data', 'build_video_lists.py')
DEMO = osp.join(REPO, 'tools', 'demo', 'video_demo.py')
# BGR colour of the disc per class (folder names: the class names)
COLOURS = {'blue_disc': (200, 60, 40), 'green_disc': (50, 190, 50),
           'red_disc': (40, 40, 210)}
CHANCE = 1 / len(COLOURS)
MARGIN = 1 / 3
# the first block of each stage: a 4-block net with the official S dims
KEEP_BLOCK = re.compile(r'^blocks[1-4]\.0\.')

SMOKE = '''_base_ = ['./my_finetune.py']
# CPU smoke run: the first block per stage (as the test checkpoint), small
# clips, no AMP, constant lr
model = dict(backbone=dict(arch=dict(_delete_=True, depths=(1, 1, 1, 1),
                                     embed_dims=(64, 128, 320, 512),
                                     head_dim=64), drop_path_rate=0.))
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=1,
         test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(loader, batch_size=3,
                        dataset=dict(num_repeats=1, pipeline=train_pipeline))
val_dataloader = dict(loader, batch_size=6,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(loader, batch_size=6,
                       dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(dtype='float32', optimizer=dict(lr=2e-4))
param_scheduler = [dict(type='ConstantLR', factor=1.0)]
train_cfg = dict(max_epochs=EPOCHS, val_interval=EPOCHS)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=EPOCHS))
randomness = dict(seed=0)
'''


def render(colour, rng, frames=8, size=64):
    """A clip whose dominant colour is the class: a tinted noisy background
    and a disc of ``colour`` (both jittered) moving across it."""
    import cv2
    colour = np.array(colour) + rng.integers(-30, 31, size=3)
    radius = int(rng.integers(8, 13))
    x, y = rng.uniform(radius, size - radius, 2)
    dx, dy = rng.uniform(-3, 3, 2)
    background = 0.4 * colour + rng.integers(0, 40, size=3)
    disc = tuple(int(c) for c in np.clip(colour, 0, 255))
    out = np.empty((frames, size, size, 3), np.uint8)
    for t in range(frames):
        frame = np.clip(background + rng.normal(0, 10, (size, size, 3)), 0,
                        255).astype(np.uint8)
        centre = (int(np.clip(x + dx * t, radius, size - radius)),
                  int(np.clip(y + dy * t, radius, size - radius)))
        cv2.circle(frame, centre, radius, disc, thickness=-1)
        out[t] = frame
    return out


def make_videos(root, per_class, seed):
    from mmuniformer.datasets.synthetic_motion import write_mp4
    rng = np.random.default_rng(seed)
    for name, colour in COLOURS.items():
        os.makedirs(osp.join(root, name), exist_ok=True)
        for i in range(per_class):
            write_mp4(osp.join(root, name, f'{i:03d}.mp4'),
                      render(colour, rng))


def official_small_checkpoint(path):
    """The official K400 UniFormer-S file's layout (container
    ``model_state``, 400-class ``head``), first block per stage kept."""
    ckpt = official_checkpoint('video_small_k400', seed=3)
    state = ckpt['model_state']
    assert state['head.weight'].shape == (400, 512)
    ckpt['model_state'] = type(state)(
        (k, v) for k, v in state.items()
        if not k.startswith('blocks') or KEEP_BLOCK.match(k))
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(ckpt, path)
    return ckpt['model_state']


def run(cmd, cwd, timeout=900):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                         timeout=timeout)
    out = res.stdout + res.stderr
    assert res.returncode == 0, f'{" ".join(cmd)}\n{out[-4000:]}'
    return out


def test_build_video_lists_from_a_list_file(tmp_path):
    sys.path.insert(0, osp.dirname(LISTS))
    try:
        import build_video_lists
    finally:
        sys.path.pop(0)
    for rel in ('a/1.mp4', 'a/2.mp4', 'b/3.mp4', 'b/4.mp4', 'b/5.mp4'):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(b'')
    listing = tmp_path / 'list.txt'
    listing.write_text('a/1.mp4 walking dog\na/2.mp4 walking dog\n'
                       'b/3.mp4 cat\nb/4.mp4 cat\nb/5.mp4 cat\n')
    out = tmp_path / 'lists'
    build_video_lists.main([str(tmp_path), '--list', str(listing),
                            '--out-dir', str(out), '--val-ratio', '0.4'])
    assert (out / 'classes.txt').read_text() == 'cat\nwalking dog\n'
    train = (out / 'train.txt').read_text().split('\n')[:-1]
    val = (out / 'val.txt').read_text().split('\n')[:-1]
    assert sorted(train + val) == ['a/1.mp4 1', 'a/2.mp4 1', 'b/3.mp4 0',
                                   'b/4.mp4 0', 'b/5.mp4 0']
    assert {line[-1] for line in val} == {'0', '1'}  # every class held out
    listing.write_text('a/1.mp4 dog\nmissing.mp4 dog\n')
    with pytest.raises(SystemExit, match='missing.mp4 does not exist'):
        build_video_lists.main([str(tmp_path), '--list', str(listing),
                                '--out-dir', str(out)])


def test_finetune_on_own_videos_from_an_official_checkpoint(tmp_path):
    work = tmp_path
    videos = work / 'data' / 'custom' / 'videos'
    make_videos(str(videos), per_class=10, seed=0)
    # 1. lists and class names
    out = run([sys.executable, LISTS, 'data/custom/videos', '--out-dir',
               'data/custom', '--val-ratio', '0.3'], cwd=work)
    assert '3 classes, 21 train / 9 val videos' in out
    classes = (work / 'data' / 'custom' / 'classes.txt').read_text().split()
    assert classes == sorted(COLOURS)

    # 2. the config copy: class count edited, base made absolute
    text = open(CONFIG).read()
    assert 'num_classes = 5' in text and "'./uniformer/" in text
    text = text.replace('num_classes = 5', 'num_classes = 3').replace(
        "'./uniformer/", repr(osp.join(REPO, 'configs', 'recognition',
                                       'uniformer', ''))[:-1])
    (work / 'my_finetune.py').write_text(text)
    (work / 'smoke.py').write_text(SMOKE.replace('EPOCHS', '3'))
    state = official_small_checkpoint(
        str(work / 'checkpoints' / 'uniformer_small_k400_16x4.pth'))

    # 3. train: backbone from the official file, new 3-class head
    out = run([sys.executable, '-m', 'mim', 'train', 'mmaction', 'smoke.py',
               '--gpus', '0', '--work-dir', 'work_dirs/ft'], cwd=work)
    backbone_keys = sum(1 for k in state if not k.startswith('head.'))
    loaded = re.search(r'UniFormer3D: loaded (\d+) tensors from '
                       r'checkpoints/uniformer_small_k400_16x4\.pth', out)
    assert loaded, out[-3000:]
    assert int(loaded.group(1)) == backbone_keys  # all but the head
    assert 'ignored, not part of the backbone: head.{weight,bias}' in out
    init = re.search(r'init_weights of Recognizer3D: .*', out)
    assert init and 'cls_head: 2 (fc_cls.weight, fc_cls.bias)' in \
        init.group(0), out[-3000:]
    assert 'paramwise_options --' not in out
    best = [f for f in os.listdir(work / 'work_dirs' / 'ft')
            if f.startswith('best_acc_top1') and f.endswith('.pth')]
    assert best, os.listdir(work / 'work_dirs' / 'ft')
    ckpt = osp.join('work_dirs', 'ft', best[0])
    head = torch.load(work / ckpt, map_location='cpu',
                      weights_only=False)['state_dict']
    assert head['cls_head.fc_cls.weight'].shape == (3, 512)

    # 4. test: held-out accuracy above chance by MARGIN
    out = run([sys.executable, '-m', 'mim', 'test', 'mmaction', 'smoke.py',
               '--checkpoint', ckpt, '--gpus', '0', '--work-dir',
               'work_dirs/ft_test'], cwd=work)
    top1 = float(re.findall(r'acc/top1: ([0-9.]+)', out)[-1])
    assert top1 >= CHANCE + MARGIN, out[-3000:]

    # 5. a new video, classified with its class names
    rng = np.random.default_rng(123)
    from mmuniformer.datasets.synthetic_motion import write_mp4
    write_mp4(str(work / 'new.mp4'), render(COLOURS['green_disc'], rng))
    out = run([sys.executable, DEMO, 'new.mp4', 'smoke.py', ckpt,
               '--labels', 'data/custom/classes.txt', '--topk', '3'],
              cwd=work)
    ranked = re.findall(r'^\s+\d\. (\S+)  \(([0-9.]+)\)$', out, flags=re.M)
    assert sorted(name for name, _ in ranked) == sorted(COLOURS), out
    assert abs(sum(float(p) for _, p in ranked) - 1) < 0.01
