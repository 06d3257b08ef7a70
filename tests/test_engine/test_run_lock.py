"""One run per work_dir (issue 18): a second live training run is refused
naming the owner; a lock left by a killed run is taken over with a warning;
a run that ended cleanly leaves no stale lock."""
import os
import signal
import socket
import subprocess
import sys

import pytest
from robust_helpers import train_logged
from toy_runner import toy_runner

import mmuniformer  # noqa: F401
from mmuniformer.engine import RunLockHook, WorkDirLockedError

HOLDER = '''
import sys
from mmuniformer.engine.hooks.run_lock_hook import RunLock
RunLock(sys.argv[1]).acquire()
print('locked', flush=True)
sys.stdin.readline()
'''


def _holder(work_dir):
    proc = subprocess.Popen(
        [sys.executable, '-c', HOLDER, str(work_dir), 'fake-train-cmd'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert proc.stdout.readline().strip() == 'locked'
    return proc


def _train(work_dir):
    return train_logged(toy_runner(work_dir, 1, custom_hooks=[RunLockHook()]))


def test_second_live_run_is_refused_naming_the_owner(tmp_path):
    holder = _holder(tmp_path)
    try:
        with pytest.raises(WorkDirLockedError) as info:
            _train(tmp_path)
        msg = str(info.value)
        assert f'{tmp_path} is in use by another training run: pid ' \
            f'{holder.pid} on {socket.gethostname()}, started ' in msg
        assert 'fake-train-cmd' in msg
        assert 'another --work-dir' in msg
        assert not (tmp_path / 'epoch_1.pth').exists()
    finally:
        holder.communicate('\n', timeout=30)


def test_stale_lock_of_a_killed_run_is_taken_over(tmp_path):
    holder = _holder(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    text = _train(tmp_path)
    assert (f'Took over the stale run lock {tmp_path / ".run.lock"}: its '
            f'owner (pid {holder.pid} on {socket.gethostname()}') in text
    assert (tmp_path / 'epoch_1.pth').exists()


def test_a_clean_end_releases_the_lock(tmp_path):
    _train(tmp_path)
    text = _train(tmp_path)  # the same process again: not locked, no warning
    assert 'stale run lock' not in text
    assert (tmp_path / '.run.lock').read_text() == ''


def test_evaluation_takes_no_lock(tmp_path):
    holder = _holder(tmp_path)
    try:
        runner = toy_runner(tmp_path, 1, custom_hooks=[RunLockHook()])
        RunLockHook().before_run(runner)  # _train_loop not built: not training
    finally:
        holder.communicate('\n', timeout=30)
