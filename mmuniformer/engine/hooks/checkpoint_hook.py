"""Checkpoints that are never lost: atomic writes, rotation after the new
file is durable, leftovers of killed writes removed.

mmengine 0.10.7's ``CheckpointHook``

* writes with ``open(path, 'wb')`` (``LocalBackend.put``) and
  ``last_checkpoint`` with ``open(..., 'w')``: a kill during the write leaves
  a truncated file under the final name, which ``--resume`` then picks;
* rotates (``max_keep_ckpts``) *before* writing: with ``max_keep_ckpts=1``
  (the demo config) ``epoch_1.pth`` is deleted, then the write of
  ``epoch_2.pth`` fails on a full disk, and the only resumable checkpoint is
  gone (``--resume`` fails on the missing file).

``type='mmuniformer.CheckpointHook'`` (arguments as mmengine's) writes
through :class:`AtomicLocalBackend` (a temporary file in the same folder,
fsync, ``os.replace``: the final name is the old or the whole new file),
deletes rotated-out files only after the new one and ``last_checkpoint`` are
in place, removes at start the ``.NAME.tmp-PID`` files of writes that were
killed (their PID is no longer running on this host), and removes the
``preempt_*.pth`` file of :class:`~mmuniformer.engine.PreemptionHook` once a
regular checkpoint supersedes it.
"""
import glob
import os
import os.path as osp
import re
from collections import deque

from mmengine.dist import is_main_process
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook
from mmengine.logging import MMLogger

from ...registry import HOOKS

ATOMIC_BACKEND = 'mmuniformer_atomic_local'
_TMP = re.compile(r'^\..+\.tmp-(\d+)$')


def atomic_write(path, data, mode: str = 'wb', encoding=None) -> None:
    """Write ``data`` to ``path`` through ``.NAME.tmp-PID`` in the same
    folder, fsync, then ``os.replace``: ``path`` is the old or the whole new
    file. On any error the temporary file is removed and ``path`` untouched.

    Args:
        path (str): the final file.
        data (bytes or str): the content.
        mode (str): ``'wb'`` or ``'w'``. Defaults to ``'wb'``.
        encoding (str, optional): for text mode. Defaults to None.
    """
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.tmp-{os.getpid()}')
    try:
        with open(tmp, mode, encoding=encoding) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


@register_backend(ATOMIC_BACKEND, force=True)
class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put`` / ``put_text`` write
    atomically (:func:`atomic_write`). Select it with
    ``backend_args=dict(backend='mmuniformer_atomic_local')``."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(filepath, obj, 'wb')

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj, 'w', encoding=encoding)


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_tmp_files(*folders) -> list:
    """Remove the ``.NAME.tmp-PID`` files of :func:`atomic_write` in
    ``folders`` whose PID is no longer running here; returns their paths."""
    removed = []
    for folder in {osp.abspath(f) for f in folders if f}:
        for path in sorted(glob.glob(osp.join(folder, '.*.tmp-*'))):
            found = _TMP.match(osp.basename(path))
            if found and not _pid_running(int(found.group(1))):
                os.remove(path)
                removed.append(path)
    return removed


def _remove(backend, path) -> None:
    if backend.isfile(path):
        backend.remove(path)
    elif backend.isdir(path):  # checkpoints saved by deepspeed
        backend.rmtree(path)


def _local(path) -> bool:
    return path is None or '://' not in str(path)


@HOOKS.register_module()
class CheckpointHook(MMEngineCheckpointHook):
    """mmengine's ``CheckpointHook`` that never loses a checkpoint (see the
    module docstring). Arguments as mmengine's; a local ``out_dir`` without
    ``backend_args`` / ``file_client_args`` writes through
    :class:`AtomicLocalBackend`."""

    def __init__(self, *args, backend_args=None, file_client_args=None,
                 out_dir=None, **kwargs):
        if backend_args is None and file_client_args is None and \
                _local(out_dir):
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(*args, backend_args=backend_args,
                         file_client_args=file_client_args, out_dir=out_dir,
                         **kwargs)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not is_main_process():
            return
        folders = [runner.work_dir]
        if _local(self.out_dir):
            folders.append(self.out_dir)
        removed = remove_stale_tmp_files(*folders)
        if removed:
            MMLogger.get_current_instance().warning(
                f'Removed {len(removed)} leftover temporary file(s) of '
                'checkpoint writes that were killed: ' + ', '.join(removed))

    def _save_checkpoint_with_step(self, runner, step, meta):
        stale = []
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            ids = list(self.keep_ckpt_ids) + [step]
            stale = ids[:-self.max_keep_ckpts]
            self.keep_ckpt_ids = deque(ids[-self.max_keep_ckpts:],
                                       self.max_keep_ckpts)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        # a failed write raises here: nothing has been deleted yet
        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler, meta=meta,
            by_epoch=self.by_epoch, backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'),
                     self.last_ckpt, 'w')
        for old in stale:
            _remove(self.file_backend, self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old)))
        if _local(self.out_dir):
            for path in glob.glob(osp.join(self.out_dir, 'preempt_*.pth')):
                os.remove(path)


__all__ = ['CheckpointHook', 'AtomicLocalBackend', 'atomic_write',
           'remove_stale_tmp_files', 'ATOMIC_BACKEND']
