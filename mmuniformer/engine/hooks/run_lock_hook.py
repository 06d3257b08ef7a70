"""One training run per ``work_dir``.

Two runs started on one ``work_dir`` both run to the end with mmengine: one
timestamp folder with an interleaved log, and run A's checkpoints, best
checkpoint and ``last_checkpoint`` overwritten by run B's. :class:`RunLockHook`
takes an exclusive ``flock`` on ``work_dir/.run.lock`` when training starts
(rank 0) and holds it until the process ends: the kernel releases it when the
owner dies, however it dies (SIGKILL included), so a lock is never left held
by a dead process. The file records the owner (pid, host, start time,
command); a second live run is refused with :class:`WorkDirLockedError`
naming it, and a lock file left by an owner that did not finish cleanly
(killed, crashed) is taken over with a warning naming the previous owner.
Evaluation (``val()`` / ``test()``) writes no checkpoints and takes no lock.
``flock`` is per host on network file systems without lock support; the
owner's host is named so that a clash across hosts is visible.
"""
import json
import os
import os.path as osp
import socket
import sys
import time
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from ...registry import HOOKS
from ..utils import is_training

LOCK_NAME = '.run.lock'


class WorkDirLockedError(RuntimeError):
    """Another live training run holds the ``work_dir``."""


def _describe(owner: dict) -> str:
    return (f"pid {owner.get('pid', '?')} on {owner.get('host', '?')}, "
            f"started {owner.get('started', '?')} "
            f"({owner.get('command', '?')})")


class RunLock:
    """An exclusive, process-lifetime lock on ``work_dir`` (see the module
    docstring).

    Args:
        work_dir (str): the folder to lock.
    """

    def __init__(self, work_dir: str):
        self.path = osp.join(work_dir, LOCK_NAME)
        self.fd: Optional[int] = None

    def acquire(self) -> Optional[dict]:
        """Take the lock; returns the previous owner when a lock left by a
        process that ended uncleanly was taken over, else None.

        Raises:
            WorkDirLockedError: a live process holds it (named).
        """
        import fcntl
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = self._read(fd)
            os.close(fd)
            raise WorkDirLockedError(
                f'{osp.dirname(self.path)} is in use by another training run:'
                f' {_describe(owner)}. Wait for it to finish or stop it, or '
                'give this run another --work-dir (lock file: '
                f'{self.path}).') from None
        previous = self._read(fd)
        info = dict(pid=os.getpid(), host=socket.gethostname(),
                    started=time.strftime('%Y-%m-%d %H:%M:%S %z'),
                    command=' '.join(sys.argv))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return previous or None

    @staticmethod
    def _read(fd: int) -> dict:
        try:
            return json.loads(os.pread(fd, 65536, 0).decode() or '{}')
        except ValueError:
            return {}

    def release(self) -> None:
        """Empty the file (a clean end) and unlock. The file stays: removing
        it could let two later runs lock two different files."""
        if self.fd is None:
            return
        os.ftruncate(self.fd, 0)
        os.close(self.fd)  # releases the flock
        self.fd = None


@HOOKS.register_module()
class RunLockHook(Hook):
    """Refuse a second live training run on one ``work_dir`` (see the
    module docstring). No arguments."""
    priority = 'HIGHEST'

    def __init__(self):
        self.lock = None

    def before_run(self, runner):
        if not is_training(runner) or not is_main_process():
            return
        self.lock = RunLock(runner.work_dir)
        previous = self.lock.acquire()
        if previous:
            MMLogger.get_current_instance().warning(
                f'Took over the stale run lock {self.lock.path}: its owner '
                f'({_describe(previous)}) is no longer running and did not '
                'finish cleanly.')

    def after_run(self, runner):
        if self.lock is not None:
            self.lock.release()
            self.lock = None


__all__ = ['RunLockHook', 'RunLock', 'WorkDirLockedError', 'LOCK_NAME']
