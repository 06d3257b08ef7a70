"""Exact resume with real processes: a run SIGKILLed mid-epoch and resumed
with ``--resume`` ends with the same weights as an uninterrupted run (max
abs diff 0, deterministic=True, CPU, generated videos, the pipeline's random
crops drawn in the main process), also when the latest checkpoint was left
truncated; a run preempted by SIGTERM mid-epoch exits 143 after saving and
resumes mid-epoch to the same weights; and a kill during a checkpoint write
never leaves a truncated file under the final name."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

import mmuniformer  # noqa: F401
from mmuniformer.datasets import make_motion_dataset
from robust_helpers import subprocess_env, train_script, write_motion_cfg

def write_cfg(path, root, ann, kill=None, epochs=3, signal_at=None):
    hooks = "[dict(type='mmuniformer.OfficialCheckpointHook')"
    if kill:
        hooks += f", dict(type='TestKillAt', epoch={kill[0]}, batch={kill[1]})"
    if signal_at:
        hooks += f", dict(type='TestSignalAt', at={signal_at})"
    return write_motion_cfg(
        path, root, ann, batch_size=4, max_epochs=epochs,
        custom_hooks=hooks + ']',
        checkpoint='dict(interval=1, max_keep_ckpts=3, save_best=None)',
        extra='randomness = dict(seed=0, deterministic=True)')


def weights(path):
    return torch.load(path, map_location='cpu')['state_dict']


@pytest.fixture(scope='module')
def motion(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('resume_data'))
    anns = make_motion_dataset(root, num_train=8, frames=16, size=64,
                               seed=4, splits=('train', ))
    return root, anns['train']


@pytest.fixture(scope='module')
def reference(motion, tmp_path_factory):
    """The uninterrupted 3-epoch run, here (same Config -> Runner path as
    the train script): (config path, final checkpoint)."""
    from mmengine.config import Config
    from mmengine.registry import RUNNERS
    root, ann = motion
    folder = tmp_path_factory.mktemp('reference')
    full = write_cfg(folder / 'full.py', root, ann)
    cfg = Config.fromfile(full)
    cfg.work_dir = str(folder / 'full')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as OMP_NUM_THREADS=1 in the subprocesses
    try:
        RUNNERS.build(cfg).train()
    finally:
        torch.use_deterministic_algorithms(False)
        torch.set_num_threads(threads)
    return full, folder / 'full' / 'epoch_3.pth'


def test_sigkill_then_resume_from_truncated_latest_is_exact(motion,
                                                            reference,
                                                            tmp_path):
    root, ann = motion
    script = train_script()
    full, final = reference
    killed = write_cfg(tmp_path / 'killed.py', root, ann, kill=(3, 2))
    killed_run = subprocess.Popen(
        [sys.executable, script, killed, '--work-dir',
         str(tmp_path / 'killed')], env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    out = killed_run.communicate(timeout=300)[0]
    assert killed_run.returncode == -signal.SIGKILL, out[-3000:]
    work = tmp_path / 'killed'
    assert sorted(osp.basename(p) for p in glob.glob(str(work / '*.pth'))) \
        == ['epoch_1.pth', 'epoch_2.pth']
    # a kill during a save with stock mmengine leaves a truncated latest
    latest = work / 'epoch_2.pth'
    data = latest.read_bytes()
    latest.write_bytes(data[:len(data) // 2])

    res = subprocess.run(
        [sys.executable, script, full, '--work-dir', str(work),
         '--resume'], env=subprocess_env(), capture_output=True, text=True,
        timeout=300)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    log = res.stdout + res.stderr
    assert f'The latest checkpoint {latest} is not readable' in log
    assert f'resuming from the newest readable checkpoint instead: ' \
        f'{work / "epoch_1.pth"}' in log
    assert 'restored the python, numpy and torch random generator' in log

    ref, got = weights(final), weights(work / 'epoch_3.pth')
    assert ref.keys() == got.keys()
    diff = max((ref[k].double() - got[k].double()).abs().max().item()
               for k in ref if ref[k].is_floating_point())
    assert diff == 0
    # the weights did change over the epochs (a real comparison)
    first = weights(work / 'epoch_1.pth')
    assert any(not torch.equal(first[k], ref[k]) for k in ref)


def test_sigterm_mid_epoch_saves_and_resumes_exactly(motion, reference,
                                                     tmp_path):
    """The demo config, preempted at iteration 3 (epoch 2, batch 1 of 2):
    exit 143 with the line, --resume continues at batch 2 of epoch 2."""
    root, ann = motion
    script = train_script()
    full, final = reference
    cfg = write_cfg(tmp_path / 'term.py', root, ann, signal_at=3)
    work = tmp_path / 'term'
    res = subprocess.run([sys.executable, script, cfg, '--work-dir',
                          str(work)], env=subprocess_env(),
                         capture_output=True, text=True, timeout=300)
    log = res.stdout + res.stderr
    assert res.returncode == 143, log[-3000:]
    saved = work / 'preempt_iter_3.pth'
    assert ('Preempted by SIGTERM: stopped after iteration 3 (epoch 2, '
            f'batch 1 of 2) and saved the resumable checkpoint {saved}; '
            'continue with --resume.') in log
    res = subprocess.run([sys.executable, script, full, '--work-dir',
                          str(work), '--resume'], env=subprocess_env(),
                         capture_output=True, text=True, timeout=300)
    log = res.stdout + res.stderr
    assert res.returncode == 0, log[-3000:]
    assert 'continuing epoch 2 after batch 1 of 2' in log
    ref, got = weights(final), weights(work / 'epoch_3.pth')
    assert all(torch.equal(ref[k], got[k]) for k in ref)


WRITER = r'''
import sys, torch
from mmuniformer.engine.hooks.checkpoint_hook import ATOMIC_BACKEND
from mmengine.runner.checkpoint import save_checkpoint
state = {"w": torch.arange(4_000_000, dtype=torch.float32)}
print("ready", flush=True)
i = 0
while True:
    i += 1
    state["step"] = torch.tensor(i)
    # what mmuniformer.CheckpointHook passes (its default backend_args)
    save_checkpoint(state, sys.argv[1],
                    backend_args=dict(backend=ATOMIC_BACKEND))
'''


def test_kill_during_checkpoint_write_leaves_no_truncated_file(tmp_path):
    """SIGKILL a process that keeps saving a 16 MB checkpoint through
    mmengine's save_checkpoint with mmuniformer.CheckpointHook's atomic
    backend; the file under the final name is always complete (only a
    leftover temporary file may be partial, removed at the next start)."""
    target = tmp_path / 'epoch_1.pth'
    for delay in (0.8, ):
        proc = subprocess.Popen([sys.executable, '-c', WRITER, str(target)],
                                env=subprocess_env(),
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == 'ready'
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if target.exists():
            state = torch.load(target, map_location='cpu')
            assert state['w'].numel() == 4_000_000
    assert target.exists()


def test_unreadable_load_from_is_named(tmp_path):
    """``load_from`` (and ``mim test --checkpoint``) of a damaged file:
    UnreadableCheckpointError naming it, before mmengine's torch.load."""
    from toy_runner import toy_runner

    from mmuniformer.engine import ExactResumeHook
    from mmuniformer.checkpoint.adapter import UnreadableCheckpointError
    bad = tmp_path / 'epoch_9.pth'
    bad.write_bytes(b'PK\x03\x04' + bytes(100))
    runner = toy_runner(tmp_path, max_epochs=1)
    runner._load_from = str(bad)
    runner.register_hook(ExactResumeHook())
    with pytest.raises(UnreadableCheckpointError,
                       match=f'{bad} is not a readable checkpoint'):
        runner.train()
