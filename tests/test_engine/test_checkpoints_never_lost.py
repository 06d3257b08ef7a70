"""Checkpoints are never lost (issue 18), with injected faults on the toy
Runner: a full disk during a rotating save keeps the old checkpoint; resume
falls back when ``last_checkpoint`` names a missing file; leftovers of killed
atomic writes are removed at start."""
import builtins
import errno
import glob
import os.path as osp
import subprocess
import sys

import pytest
import torch
from robust_helpers import train_logged
from toy_runner import toy_runner

import mmuniformer  # noqa: F401
from mmuniformer.engine import ExactResumeHook

OURS = dict(type='mmuniformer.CheckpointHook', interval=1, max_keep_ckpts=1)
STOCK = dict(type='CheckpointHook', interval=1, max_keep_ckpts=1)


def full_disk(monkeypatch, marker):
    """Every write of a file whose name holds ``marker`` writes half its
    bytes, then fails with ENOSPC (what a full disk does)."""
    real_open = builtins.open

    class FullFile:

        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[:len(data) // 2])
            raise OSError(errno.ENOSPC, 'No space left on device')

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def __getattr__(self, name):
            return getattr(self.f, name)

    def fake_open(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if ('w' in mode or 'a' in mode) and marker in osp.basename(str(file)):
            return FullFile(f)
        return f

    monkeypatch.setattr(builtins, 'open', fake_open)


@pytest.mark.parametrize('hook', ['stock', 'ours'])
def test_full_disk_during_rotation_keeps_the_only_checkpoint(
        tmp_path, monkeypatch, hook):
    """max_keep_ckpts=1 (the demo config): the save of epoch_2.pth fails on
    a full disk. mmengine has deleted epoch_1.pth already (documented here
    so that an upstream fix shows); ours deletes it only after epoch_2.pth is
    in place, so --resume still works."""
    checkpoint = OURS if hook == 'ours' else STOCK
    toy_runner(tmp_path, 1, checkpoint=checkpoint).train()
    assert osp.isfile(tmp_path / 'epoch_1.pth')
    with monkeypatch.context() as patch:
        full_disk(patch, 'epoch_2')
        with pytest.raises(OSError, match='No space left'):
            toy_runner(tmp_path, 2, resume=True,
                       checkpoint=checkpoint).train()
    if hook == 'stock':  # epoch_1 deleted, epoch_2 truncated
        assert not osp.exists(tmp_path / 'epoch_1.pth')
        return
    assert not osp.exists(tmp_path / 'epoch_2.pth')
    assert torch.load(tmp_path / 'epoch_1.pth', map_location='cpu')[
        'meta']['epoch'] == 1
    assert (tmp_path / 'last_checkpoint').read_text() == str(
        tmp_path / 'epoch_1.pth')
    assert not glob.glob(str(tmp_path / '.*tmp-*'))  # no partial leftovers
    runner = toy_runner(tmp_path, 2, resume=True, checkpoint=checkpoint)
    runner.train()
    assert runner.epoch == 2
    # rotation still happens once the new file is durable
    assert sorted(osp.basename(p) for p in glob.glob(
        str(tmp_path / '*.pth'))) == ['epoch_2.pth']


def test_resume_falls_back_when_the_latest_checkpoint_is_missing(tmp_path):
    ckpt = dict(OURS, max_keep_ckpts=3)
    toy_runner(tmp_path, 2, checkpoint=ckpt).train()
    (tmp_path / 'epoch_2.pth').unlink()  # deleted, last_checkpoint names it
    runner = toy_runner(tmp_path, 3, resume=True, checkpoint=ckpt,
                        custom_hooks=[ExactResumeHook()])
    text = train_logged(runner)
    assert (f'The latest checkpoint {tmp_path / "epoch_2.pth"} is not '
            'readable (file not found') in text
    assert ('resuming from the newest readable checkpoint instead: '
            f'{tmp_path / "epoch_1.pth"}') in text
    assert 'Load checkpoint from' in text or 'resumed' in text.lower()
    assert runner.epoch == 3
    # epoch 2 was trained again from epoch 1: the message hub knows it
    assert torch.load(tmp_path / 'epoch_3.pth', map_location='cpu')[
        'meta']['epoch'] == 3


def test_resume_without_last_checkpoint_uses_the_newest(tmp_path):
    ckpt = dict(OURS, max_keep_ckpts=3)
    toy_runner(tmp_path, 2, checkpoint=ckpt).train()
    (tmp_path / 'last_checkpoint').unlink()
    runner = toy_runner(tmp_path, 3, resume=True, checkpoint=ckpt,
                        custom_hooks=[ExactResumeHook()])
    text = train_logged(runner)
    assert 'There is no latest checkpoint' in text
    assert f'instead: {tmp_path / "epoch_2.pth"}' in text
    assert runner.message_hub.get_info('keep_ckpt_ids') == [1, 2, 3]


def _dead_pid():
    proc = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True)
    return int(proc.stdout)


def test_leftover_tmp_files_of_killed_writes_are_removed_at_start(tmp_path):
    dead = _dead_pid()
    leftovers = [tmp_path / f'.epoch_1.pth.tmp-{dead}',
                 tmp_path / f'.best_acc_epoch_1.pth.tmp-{dead}',
                 tmp_path / f'.last_checkpoint.tmp-{dead}']
    for path in leftovers:
        path.write_bytes(b'PK\x03\x04 partial')
    live = tmp_path / f'.epoch_9.pth.tmp-{__import__("os").getpid()}'
    live.write_bytes(b'being written')
    runner = toy_runner(tmp_path, 1, checkpoint=OURS)
    text = train_logged(runner)
    assert not any(p.exists() for p in leftovers)
    assert live.exists()  # a running writer's file is left alone
    assert 'Removed 3 leftover temporary file(s) of checkpoint writes' in text
    assert str(leftovers[0]) in text


def test_atomic_backend_leaves_old_file_when_replace_fails(tmp_path,
                                                           monkeypatch):
    """os.replace raising: the final name keeps the old, whole file and the
    temporary file is removed."""
    import os

    from mmuniformer.engine.hooks import checkpoint_hook
    target = tmp_path / 'epoch_1.pth'
    checkpoint_hook.atomic_write(target, b'old')

    def broken(*args):
        raise OSError(errno.EIO, 'I/O error')

    monkeypatch.setattr(os, 'replace', broken)
    with pytest.raises(OSError, match='I/O error'):
        checkpoint_hook.AtomicLocalBackend().put(b'new', str(target))
    assert target.read_bytes() == b'old'
    assert not glob.glob(str(tmp_path / '.*'))
