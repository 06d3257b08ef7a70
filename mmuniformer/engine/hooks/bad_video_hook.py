"""Bad videos: skipped on request in the training loop (MMAction2 datasets).

The readers name an unreadable video themselves, with or without a Runner
(``mmuniformer.DecordInit`` / ``DecordDecode`` raise
:class:`~mmuniformer.datasets.video_faults.BadVideoError`). Skipping is a
training decision: mmengine's ``BaseDataset`` only refetches another sample
when ``prepare_data`` returns None (its ``max_refetch`` mechanism), which
MMAction2's loaders never do. :class:`BadVideoHook` wraps ``prepare_data``
of the datasets a Runner uses (whatever their class: ``VideoDataset``,
``RepeatAugDataset``, ...) and adds the annotation line to the message:

* default (``skip=False``): the first video that cannot be read stops the run
  with :class:`BadVideoError` naming the file, its annotation line and the
  decoder's reason;
* ``skip=True`` (training only; evaluation always stops): the sample is
  skipped (``prepare_data`` returns None, mmengine draws another, at most
  ``train_dataloader.dataset.max_refetch`` times). Skipped files are listed
  per epoch in the log and in ``work_dir/skipped_videos.txt``; more than
  ``max_bad_fraction`` of the data set stops the run.

Only failures of the frame readers count as bad videos (transforms named
``*Init`` / ``*Decode``, e.g. ``DecordInit``, ``DecordDecode``, and missing
files); an error in any other transform is a pipeline bug and always stops,
naming the file too.

Short clips: a video with fewer frames than ``clip_len * frame_interval``
gets one warning per file and process. Sampling past its end follows
``SampleFrames.out_of_bound_opt``; the shipped configs use ``'repeat_last'``,
which is what the official (PySlowFast) sampler does: it clamps frame indices
to the last frame, so frame order is kept (3 frames, 8 x 2 ->
``[0 2 2 2 2 2 2 2]``); MMAction2's default ``'loop'`` wraps around
(``[0 2 1 0 2 1 0 2]``) and scrambles the order.
"""
import os.path as osp
from typing import Optional

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.logging import MMLogger, print_log

from ...datasets.video_faults import (CLEAN_HINT, SKIP_HINT, BadVideoError,
                                      video_reason)
from ...registry import HOOKS
from ..utils import inner_datasets

SKIP_LOG = 'skipped_videos.txt'
_RAW_LOG = '.skipped_videos.raw'


def _reader_failed(exc: BaseException) -> bool:
    """True when the exception comes from a frame reader (``*Init`` /
    ``*Decode`` transform, or a BadVideoError they raised) or is a missing
    file."""
    if isinstance(exc, (FileNotFoundError, BadVideoError)):
        return True
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get('self')
        name = type(owner).__name__ if owner is not None else ''
        if name.endswith('Init') or name.endswith('Decode'):
            return True
        tb = tb.tb_next
    return False


def _reason(exc: BaseException, filename: Optional[str]) -> str:
    if isinstance(exc, BadVideoError) and exc.reason:
        return exc.reason
    return video_reason(exc, filename)


def annotation_line(ann_file: str, filename: str,
                    prefix: Optional[str]) -> str:
    """``'line N of ANN ("TEXT")'`` for the entry of ``filename``."""
    if not ann_file or not osp.isfile(ann_file):
        return f'annotation {ann_file!r}'
    rel = filename
    if prefix and filename.startswith(str(prefix)):
        rel = osp.relpath(filename, prefix)
    with open(ann_file) as f:
        for number, line in enumerate(f, 1):
            first = line.strip().split(' ')[0] if line.strip() else ''
            if first in (rel, filename):
                return f'line {number} of {ann_file} ("{line.strip()}")'
    return f'not found in {ann_file}'


class GuardedPrepare:
    """``dataset.prepare_data`` that names (or skips) unreadable videos.

    Picklable (spawned dataloader workers get a copy): it keeps the class
    function, not a bound method.
    """

    def __init__(self, dataset, skip: bool, raw_log: Optional[str],
                 max_bad_fraction: float):
        self.dataset = dataset
        self.func = type(dataset).prepare_data
        self.skip = skip and not getattr(dataset, 'test_mode', False)
        self.raw_log = raw_log
        self.max_bad_fraction = max_bad_fraction
        self.bad = set()
        self.current = None

    def __call__(self, idx):
        info = self.dataset.get_data_info(idx)
        filename = info.get('filename', info.get('frame_dir'))
        self.current = filename
        try:
            return self.func(self.dataset, idx)
        except Exception as exc:  # noqa: BLE001 - re-raised with a name
            prefix = (getattr(self.dataset, 'data_prefix', None) or {}).get(
                'video')
            where = annotation_line(getattr(self.dataset, 'ann_file', ''),
                                    str(filename), prefix)
            reason = _reason(exc, filename)
            if not (self.skip and _reader_failed(exc)):
                hint = ('' if not _reader_failed(exc) or self.skip else
                        f' {CLEAN_HINT} or {SKIP_HINT}.')
                stage = ('cannot be read' if _reader_failed(exc) else
                         'failed in the data pipeline')
                raise BadVideoError(
                    f'{filename} ({where}) {stage}: {reason}.' + hint,
                    filename=filename, reason=reason,
                    stage=getattr(exc, 'stage', None)) from exc
            self._record(filename, where, reason)
            return None

    def _record(self, filename, where, reason):
        self.bad.add(filename)
        if self.raw_log:
            line = f'{filename}\t{where}\t{reason}'.replace('\n', ' ')
            with open(self.raw_log, 'a') as f:
                f.write(line + '\n')
        limit = self.max_bad_fraction * len(self.dataset)
        if len(self.bad) > max(limit, 0):
            raise BadVideoError(
                f'{len(self.bad)} of {len(self.dataset)} videos could not be '
                f'read (more than max_bad_fraction={self.max_bad_fraction}); '
                f'last: {filename} ({where}): {reason}. See {self.raw_log}.')


class WarnShortClip:
    """Wraps a ``SampleFrames`` transform: warn once per file (and process)
    when the video is shorter than ``clip_len * frame_interval``."""

    def __init__(self, transform, guard: GuardedPrepare):
        self.transform = transform
        self.guard = guard
        self.warned = set()

    def __call__(self, results):
        out = self.transform(results)
        total = results.get('total_frames')
        t = self.transform
        need = getattr(t, 'clip_len', 0) * getattr(t, 'frame_interval', 1)
        name = results.get('filename', self.guard.current)
        if total is not None and total < need and name not in self.warned:
            self.warned.add(name)
            print_log(
                f'{name}: {total} frames, shorter than clip_len x '
                f'frame_interval = {need}; frames past the end are sampled '
                f'with out_of_bound_opt={t.out_of_bound_opt!r} (frame '
                f'indices {out["frame_inds"].reshape(-1).tolist()})',
                logger='current', level=30)
        return out

    def __getattr__(self, name):
        return getattr(self.transform, name)

    def __repr__(self):
        return repr(self.transform)


@HOOKS.register_module()
class BadVideoHook(Hook):
    """Name or skip unreadable videos (see the module docstring).

    Args:
        skip (bool): skip unreadable training videos instead of stopping.
            Defaults to False.
        max_bad_fraction (float): stop when more than this fraction of the
            training set was skipped in an epoch. Defaults to 0.01.
    """
    priority = 'VERY_HIGH'

    def __init__(self, skip: bool = False, max_bad_fraction: float = 0.01):
        if not 0 <= max_bad_fraction <= 1:
            raise ValueError('max_bad_fraction must be in [0, 1], got '
                             f'{max_bad_fraction}')
        self.skip = skip
        self.max_bad_fraction = max_bad_fraction
        self._offset = 0

    def _install(self, loader, skip, raw_log):
        for dataset in inner_datasets(getattr(loader, 'dataset', None)):
            if isinstance(dataset.__dict__.get('prepare_data'),
                          GuardedPrepare):
                continue
            guard = GuardedPrepare(dataset, skip, raw_log,
                                   self.max_bad_fraction)
            dataset.prepare_data = guard
            transforms = getattr(getattr(dataset, 'pipeline', None),
                                 'transforms', [])
            for i, transform in enumerate(transforms):
                if type(transform).__name__ == 'SampleFrames':
                    transforms[i] = WarnShortClip(transform, guard)

    def before_train(self, runner):
        raw = osp.join(runner.work_dir, _RAW_LOG)
        self._offset = osp.getsize(raw) if osp.exists(raw) else 0
        self._install(runner.train_dataloader, self.skip, raw)

    def before_val(self, runner):
        self._install(runner.val_dataloader, False, None)

    def before_test(self, runner):
        self._install(runner.test_dataloader, False, None)

    def after_train_epoch(self, runner):
        raw = osp.join(runner.work_dir, _RAW_LOG)
        if not self.skip or not osp.exists(raw):
            return
        with open(raw) as f:
            f.seek(self._offset)
            lines = [ln.rstrip('\n') for ln in f if ln.strip()]
            self._offset = f.tell()
        names = sorted({ln.split('\t')[0] for ln in lines})
        total = len(runner.train_dataloader.dataset)
        logger = MMLogger.get_current_instance()
        epoch = runner.epoch + 1
        if names:
            logger.warning(
                f'epoch {epoch}: skipped {len(names)} unreadable video(s) of '
                f'{total} ({len(lines)} skips): ' + ', '.join(names))
        else:
            logger.info(f'epoch {epoch}: no unreadable videos skipped')
        if get_rank() == 0:
            with open(osp.join(runner.work_dir, SKIP_LOG), 'a') as f:
                f.write(f'# epoch {epoch}: {len(names)} skipped\n')
                seen = set()
                for line in lines:
                    if line.split('\t')[0] not in seen:
                        seen.add(line.split('\t')[0])
                        f.write(line + '\n')
        if len(names) > self.max_bad_fraction * total:
            raise BadVideoError(
                f'epoch {epoch}: {len(names)} of {total} training videos '
                f'could not be read, more than max_bad_fraction='
                f'{self.max_bad_fraction}; see '
                f'{osp.join(runner.work_dir, SKIP_LOG)}. Clean the list with '
                'tools/data/check_videos.py.')


__all__ = ['BadVideoHook', 'BadVideoError', 'GuardedPrepare',
           'annotation_line']
