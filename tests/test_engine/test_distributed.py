"""Data-parallel training with several processes on CPU (gloo), launched the
stock ways (torchrun / `mim train --launcher pytorch --gpus 2`): ranks end
bit-identical and equal to the saved checkpoint. mmengine 0.10.7 calls
torch.cuda.set_device in its dist init; the configs' ``runner_type =
'mmuniformer.Runner'`` makes it work (the import alone changes nothing)."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
from conftest import skip_or_fail  # noqa: E402  (fails under CI=true)
import torch

import mmuniformer  # noqa: F401
from mmuniformer.datasets import make_motion_dataset
from robust_helpers import subprocess_env, train_script, write_motion_cfg

def _port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _torchrun(args, timeout=300):
    return subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(_port())] + args, env=subprocess_env(),
        capture_output=True, text=True, timeout=timeout)


def _load(path):
    obj = torch.load(path, map_location='cpu')
    return obj.get('state_dict', obj)


def _assert_ranks_equal_checkpoint(work_dir, ckpt, buffers=True):
    """Every tensor of both ranks identical; the checkpoint equal to them
    (parameters only with ``buffers=False``)."""
    ranks = [_load(osp.join(work_dir, f'rank{r}.pth')) for r in (0, 1)]
    saved = _load(osp.join(work_dir, ckpt))
    assert ranks[0].keys() == ranks[1].keys() == saved.keys()
    stats = ('running_mean', 'running_var', 'num_batches_tracked')
    for key in saved:
        assert torch.equal(ranks[0][key], ranks[1][key]), key
        if buffers or not key.endswith(stats):
            assert torch.equal(ranks[0][key], saved[key]), key


DIST_INIT = r"""
import os, sys, torch
os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                  MASTER_ADDR='127.0.0.1', MASTER_PORT=sys.argv[2])
import mmuniformer  # changes nothing by itself
from mmengine.dist import get_world_size
if sys.argv[1] == 'fix':  # what runner_type='mmuniformer.Runner' does
    from mmuniformer.engine.runner import Runner
    from toy_runner import toy_runner
    runner = toy_runner(sys.argv[3], 1, runner_cls=Runner,
                        launcher='pytorch',
                        env_cfg=dict(dist_cfg=dict(backend='nccl')))
    print('wrapped in', type(runner.model).__name__)
else:  # mmengine's Runner steps, as the configs ask for them
    from mmengine.dist import init_dist
    from mmengine.model import MMDistributedDataParallel
    init_dist('pytorch', backend='nccl')
    model = MMDistributedDataParallel(module=torch.nn.Linear(2, 1),
                                      device_ids=[0])
print('world', get_world_size(), torch.distributed.get_backend())
"""


@pytest.mark.parametrize('mode', ['stock', 'fix'])
def test_mmengine_dist_init_on_cpu_needs_the_fix(mode, tmp_path):
    """mmengine's dist init and DDP wrapping as the Runner calls them, in a
    clean interpreter: with mmengine's Runner steps they fail on a machine
    without a GPU (also after ``import mmuniformer``), with
    ``mmuniformer.Runner`` they run on gloo (CPU DDP, device_ids=None)."""
    if mode == 'stock' and torch.cuda.is_available():
        skip_or_fail('the bug shows only on a machine without a GPU')
    res = subprocess.run([sys.executable, '-c', DIST_INIT, mode,
                          str(_port()), str(tmp_path)], env=subprocess_env(),
                         capture_output=True, text=True, timeout=120)
    if mode == 'stock':
        assert res.returncode != 0
        assert 'Found no NVIDIA driver' in res.stderr, res.stderr[-2000:]
    else:
        assert res.returncode == 0, res.stderr[-2000:]
        assert 'wrapped in MMDistributedDataParallel' in res.stdout
        assert res.stdout.strip().endswith('world 1 gloo')
        assert "using the gloo backend instead of 'nccl'" in \
            res.stdout + res.stderr


def test_video_config_with_mim_train_two_processes(tmp_path):
    root = str(tmp_path / 'data')
    anns = make_motion_dataset(root, num_train=8, frames=16, size=64,
                               seed=5, splits=('train', ))
    cfg = write_motion_cfg(tmp_path / 'motion_2p.py', root, anns['train'],
                           batch_size=2, max_epochs=1,
                           custom_hooks="[dict(type='TestDumpRankWeights')]")
    work = tmp_path / 'work'
    res = subprocess.run(
        ['mim', 'train', 'mmaction', str(cfg), '--launcher', 'pytorch',
         '--gpus', '2', '--work-dir', str(work)], env=subprocess_env(),
        capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "using the gloo backend instead of 'nccl'" in out
    assert 'model wrapped in MMDistributedDataParallel' in out
    _assert_ranks_equal_checkpoint(work, 'epoch_1.pth')


def test_dense_config_with_torchrun_two_processes(tmp_path):
    from test_hosts.test_segmentation_e2e import (FPN, make_ade20k,
                                                  tiny_cpu_config)
    data = make_ade20k(str(tmp_path / 'ade'))
    work = str(tmp_path / 'work')
    cfg = tiny_cpu_config(FPN, data, work)
    cfg.train_cfg.max_iters = 4  # saved at the end (save_last)
    cfg.custom_imports = dict(imports=['mmuniformer', 'robust_helpers'],
                              allow_failed_imports=False)
    cfg.custom_hooks = [dict(type='TestDumpRankWeights')]
    path = str(tmp_path / 'fpn_2p.py')
    cfg.dump(path)
    res = _torchrun([train_script('mmseg'), path, '--launcher', 'pytorch',
                     '--work-dir',
                     work])
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    # the iteration-based checkpoint holds the averaged BN statistics too
    # (mmuniformer.SyncBuffersHook averages them before it is written)
    _assert_ranks_equal_checkpoint(work, 'iter_4.pth')
