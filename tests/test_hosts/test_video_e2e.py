"""MMAction2 end to end: training on generated videos, `mim test` on a saved
checkpoint, the demo script, and decoding the real clips in ../shared."""
import glob
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmuniformer  # noqa: F401
from learning import assert_loss_falls
from mmuniformer.datasets import MOTION_CLASSES, make_motion_dataset

from conftest import REPO  # noqa: E402  (the repository root)
DEMO_CFG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                    'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')
K400_GLOB = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                     'uniformer-small_imagenet1k-pre_*16x4x1*kinetics400*.py')


@pytest.fixture(scope='module')
def motion_data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('motion'))
    anns = make_motion_dataset(root, num_train=32, num_val=8, frames=16,
                               size=64, seed=1)
    return root, anns


def _options(root, anns):
    opts = {}
    for split, ann in (('train', anns['train']), ('val', anns['val']),
                       ('test', anns['val'])):
        opts[f'{split}_dataloader.dataset.ann_file'] = ann
        opts[f'{split}_dataloader.dataset.data_prefix.video'] = root
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.batch_size'] = 4
    return opts


def test_generated_videos_decode_and_need_temporal_order(motion_data):
    import decord
    root, anns = motion_data
    with open(anns['train']) as f:
        lines = [line.split() for line in f]
    assert [int(label) for _, label in lines[:4]] == [0, 1, 2, 3]
    frames = decord.VideoReader(osp.join(root, lines[0][0]))
    assert len(frames) == 16 and frames[0].shape == (64, 64, 3)
    # the same clip reversed in time shows the opposite direction: the
    # centre of mass of the bright disc moves the other way
    clip = frames.get_batch(list(range(16))).asnumpy().astype(float)
    mass = clip.sum(-1) > 3 * 130
    xs = [np.nonzero(m)[1].mean() for m in mass]
    assert xs[-1] > xs[0]  # label 0: moving right
    assert MOTION_CLASSES[0] == 'moving right'


def test_training_decreases_loss(motion_data, tmp_path):
    """15 iterations through mmengine's Runner on 8 generated clips (one
    batch): the loss averaged over the last 4 iterations is at most 0.75 x
    the average over the first 4 (measured 0.60 with seed 0, 0.61 with
    seed 1).

    Held-out learning of the video model is the main job's claim
    (``tools/demo/motion_demo.py --min-top1 0.9``, 80 held-out clips,
    chance 25 %), which ``.ci/run`` gates on every landing: a run this
    short does not generalise (measured held-out top-1 0.125-0.5 vs
    0.125-0.25 untrained, with 8 or 32 training clips), so it is not
    asserted here but in
    ``test_trained_video_model_beats_untrained_on_heldout_clips``."""
    from mmengine.runner import Runner
    root, anns = motion_data
    subset = tmp_path / 'train8.txt'
    with open(anns['train']) as f:
        subset.write_text(''.join(f.readlines()[:8]))
    cfg = Config.fromfile(DEMO_CFG)
    cfg.merge_from_dict(_options(root, dict(anns, train=str(subset))))
    cfg.train_dataloader.batch_size = 8
    cfg.train_cfg.max_epochs = 15
    cfg.train_cfg.val_interval = 100
    cfg.param_scheduler = []
    cfg.optim_wrapper.optimizer.lr = 1e-3
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=15)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 15
    assert_loss_falls(losses, window=4, ratio=0.75)
    assert osp.isfile(tmp_path / 'epoch_15.pth')


def test_mim_test_on_a_saved_checkpoint(motion_data, tmp_path):
    """A checkpoint saved by the Runner, evaluated by `mim test` with
    MMAction2's own test tool and AccMetric: a head that always votes for
    "moving down" scores exactly the share of that class (2 of 8)."""
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS
    root, anns = motion_data
    cfg = Config.fromfile(DEMO_CFG)
    init_default_scope('mmaction')
    model = MODELS.build(cfg.model)
    with torch.no_grad():
        model.cls_head.fc_cls.weight.zero_()
        model.cls_head.fc_cls.bias.copy_(torch.tensor([0., 0., 9., 0.]))
    with open(anns['val']) as f:
        share = np.mean([int(line.split()[1]) == 2 for line in f])
    assert 0 < share < 1
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    opts = [f'{k}={v}' for k, v in _options(root, anns).items()]
    res = subprocess.run(
        [sys.executable, '-m', 'mim', 'test', 'mmaction', DEMO_CFG,
         '--checkpoint', str(ckpt),
         '--gpus', '0', '--work-dir', str(tmp_path / 'test'),
         '--cfg-options', *opts], capture_output=True, text=True,
        timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    top1 = re.findall(r'acc/top1: ([0-9.]+)', out)
    assert top1 and float(top1[-1]) == pytest.approx(share, abs=1e-4)


def test_video_demo_prints_top_labels(motion_data, tmp_path):
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS
    root, anns = motion_data
    init_default_scope('mmaction')
    model = MODELS.build(Config.fromfile(DEMO_CFG).model)
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    video = osp.join(root, 'val', '00001.mp4')
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'demo', 'video_demo.py'),
         video, DEMO_CFG, str(ckpt), '--labels',
         osp.join(root, 'classes.txt'), '--topk', '3'],
        capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    ranked = re.findall(r'^\s+\d\. (.+?)  \(([0-9.]+)\)$', res.stdout,
                        flags=re.M)
    assert len(ranked) == 3
    assert all(name in MOTION_CLASSES for name, _ in ranked)
    probs = [float(p) for _, p in ranked]
    assert probs == sorted(probs, reverse=True)


@pytest.mark.parametrize('name', ['demo.mp4', 'test.mp4', 'test.avi'])
def test_real_clips_through_the_kinetics_test_pipeline(shared_data, name):
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    from mmaction.registry import TRANSFORMS
    init_default_scope('mmaction')
    configs = sorted(glob.glob(K400_GLOB))
    assert configs, f'no S16x4 Kinetics-400 config matches {K400_GLOB}'
    cfg = Config.fromfile(configs[0])
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.test_pipeline])
    out = pipeline(dict(filename=osp.join(shared_data, 'video', name),
                        label=-1, start_index=0, modality='RGB'))
    inputs = out['inputs']
    # 4 clips x 1 crop, 16 frames, 224 x 224 (official Kinetics protocol)
    assert tuple(inputs.shape) == (4, 3, 16, 224, 224)
    assert inputs.dtype == torch.uint8 and inputs.float().std() > 1


def test_generator_refuses_sizes_decord_cannot_read(tmp_path):
    with pytest.raises(RuntimeError, match='decord decodes'):
        make_motion_dataset(str(tmp_path), num_train=1, num_val=0, size=48,
                            splits=('train', ))


def test_video_demo_on_a_real_clip_with_kinetics_labels(shared_data, tmp_path):
    """The demo on a real Kinetics clip: a K400 config (tiny backbone,
    random weights saved as an official video file) prints 5 K400 names."""
    from mmuniformer import labels
    from mmuniformer.models import UniFormer3D
    configs = sorted(glob.glob(K400_GLOB))
    cfg_path = tmp_path / 'k400_tiny.py'
    cfg_path.write_text(
        f"_base_ = [{configs[0]!r}]\n"
        "model = dict(backbone=dict(arch=dict(_delete_=True, depths=(1, 1, "
        "2, 1), embed_dims=(16, 32, 64, 64), head_dim=16), init_cfg=None),"
        " cls_head=dict(in_channels=64))\n")
    backbone = UniFormer3D(dict(depths=(1, 1, 2, 1),
                                embed_dims=(16, 32, 64, 64), head_dim=16))
    state = dict(backbone.state_dict())
    state['head.weight'] = torch.randn(400, 64) * 0.05
    state['head.bias'] = torch.zeros(400)
    official_index = labels.official_classes('k400').index('marching')
    state['head.bias'][official_index] = 50.  # official row of 'marching'
    official = tmp_path / 'official_k400.pth'
    torch.save({'model_state': state}, official)
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'demo', 'video_demo.py'),
         osp.join(shared_data, 'video', 'demo.mp4'), str(cfg_path),
         str(official), '--labels', 'k400', '--topk', '5'],
        capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    ranked = re.findall(r'^\s+\d\. (.+?)  \(([0-9.]+)\)$', res.stdout,
                        flags=re.M)
    assert len(ranked) == 5
    k400 = set(labels.mmaction_classes('k400'))
    assert all(name in k400 for name, _ in ranked)
    # the official head row is matched to its name, not to its index
    assert ranked[0][0] == 'marching' and float(ranked[0][1]) > 0.99


def test_main_job_script_runs_end_to_end(tmp_path):
    """tools/demo/motion_demo.py (the README's first command) on a reduced
    budget: data, mim train, mim test, demo, then the --min-top1 gate that
    CI relies on (.ci/run runs the full job with --min-top1 0.9): a bar
    no run can reach (1.01) must make it exit non-zero, after every step
    ran, naming the top-1 it printed."""
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'demo', 'motion_demo.py'),
         '--work-dir', str(tmp_path), '--epochs', '4', '--num-train', '16',
         '--num-val', '8', '--min-top1', '1.01'], capture_output=True,
        text=True, timeout=900)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out[-3000:]
    top1 = re.findall(r'held-out top-1 over 8 clips: ([0-9.]+)%', res.stdout)
    assert len(top1) == 1, out[-3000:]
    assert f'top-1 {float(top1[0]) / 100:.3f} is below --min-top1 1.01' \
        in res.stderr, out[-3000:]
    assert '[4/4] demo on' in res.stdout
    assert re.search(r'^\s+1\. moving (right|left|up|down)', res.stdout,
                     flags=re.M)
    # the training curve: one point per epoch (validated every epoch)
    assert (tmp_path / 'training_curve.png').read_bytes()[:4] == b'\x89PNG'
    assert len(re.findall(r'Epoch\(val\) \[\d+\]',
                          (tmp_path / 'train.log').read_text())) >= 4


# Held-out learning of the video model in the suite (issue 20), a third of
# the main job: 96 generated training clips, 8 epochs of the shipped motion
# recipe, 24 held-out clips scored by mmuniformer.AccMetric, against the
# same model untrained. Measured (trained / untrained held-out top-1, seed
# of data and run): seed 0 79.2 % / 16.7 %, seed 1 66.7 % / 20.8 %; chance
# is 25 %. The margin (30 points, 7 of 24 clips) is two thirds of the
# smaller gain (+45.8). The full main job (240 clips) reaches 100 %.
HELDOUT_MARGIN = 0.30  # acc/top1 is a fraction


@pytest.mark.parametrize('seed', [0])
def test_trained_video_model_beats_untrained_on_heldout_clips(tmp_path,
                                                             seed):
    from mmengine.runner import Runner
    from learning import StartWeights, evaluate_trained_and_untrained
    root = str(tmp_path / 'data')
    anns = make_motion_dataset(root, num_train=96, num_val=24, frames=16,
                               size=64, seed=100 + seed)
    cfg = Config.fromfile(DEMO_CFG)
    cfg.merge_from_dict(_options(root, anns))
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].batch_size = 16
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.checkpoint = None
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    start = StartWeights()
    runner.register_hook(start)
    runner.train()
    trained, untrained = evaluate_trained_and_untrained(runner, start)
    print('held-out', seed, trained['acc/top1'], untrained['acc/top1'])
    assert trained['acc/top1'] >= untrained['acc/top1'] + HELDOUT_MARGIN, (
        trained, untrained)
