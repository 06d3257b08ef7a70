"""Bad videos named where they are read: in the data pipeline.

MMAction2's readers (``DecordInit``/``DecordDecode``, ``PyAVInit``, ...)
let a decoder error escape without the file name (``RuntimeError: Error
reading 5000 bytes...``), whether the dataset is indexed by a Runner, by a
host tool or directly in a notebook. :func:`naming_video_errors` wraps one
reader step and turns any exception into :class:`BadVideoError` naming the
file, the annotation line when the results carry it, and a short reason.
``mmuniformer.DecordInit`` / ``mmuniformer.DecordDecode``
(:mod:`mmuniformer.datasets.transforms.loading`) use it; so do the other
decoders of :mod:`mmuniformer.datasets.transforms`. Skipping unreadable
videos on request is a training-loop decision and stays in
:class:`mmuniformer.engine.BadVideoHook`.
"""
import os.path as osp
import re
from contextlib import contextmanager
from typing import Optional

# decord prefixes each message with '[hh:mm:ss] /path/file.cc:LINE: ' (once
# per re-raise) and appends a C++ backtrace
_DECORD_PREFIX = re.compile(r'\[\d\d:\d\d:\d\d\] \S+:\d+: ')

CLEAN_HINT = ('Remove it from the list (tools/data/check_videos.py writes a '
              'cleaned list)')
SKIP_HINT = ('skip unreadable training videos with --cfg-options '
             'default_hooks.bad_videos.skip=True')


class BadVideoError(RuntimeError):
    """A video of the annotation list cannot be opened or decoded.

    Attributes:
        filename (str or None): the video.
        reason (str): why, in one line (``'file not found'``, ``'empty file
            (0 bytes)'`` or the decoder's first message line).
        stage (str or None): the reader step that failed (``'DecordInit'``).
    """

    def __init__(self, message: str, filename: Optional[str] = None,
                 reason: str = '', stage: Optional[str] = None):
        super().__init__(message)
        self.filename, self.reason, self.stage = filename, reason, stage


def decoder_reason(exc: BaseException) -> str:
    """``'ExcType: first meaningful line'`` of a decoder exception."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    text = _DECORD_PREFIX.sub('', lines[0]) if lines else ''
    return f'{type(exc).__name__}: {text}' if text else type(exc).__name__


def video_reason(exc: BaseException, filename: Optional[str]) -> str:
    """Why ``filename`` could not be read: a missing or empty file says so
    (decord's message for both is ``Error reading 0 bytes``), anything else
    gives the decoder's reason (:func:`decoder_reason`)."""
    if filename and not osp.exists(filename):
        return 'file not found'
    if filename and osp.isfile(filename) and osp.getsize(filename) == 0:
        return 'empty file (0 bytes)'
    return decoder_reason(exc)


@contextmanager
def naming_video_errors(results: dict, stage: str):
    """Re-raise an exception of the enclosed reader step as
    :class:`BadVideoError` naming the video.

    Args:
        results (dict): the pipeline's results; ``'filename'`` (or
            ``'frame_dir'``) names the video, ``'ann_file'`` and
            ``'ann_line'`` (optional) the annotation line.
        stage (str): the reader step, e.g. ``'DecordInit'``.

    Raises:
        BadVideoError: naming file, annotation line (when known), stage and
            reason, chained to the decoder's exception. A BadVideoError from
            inside passes unchanged.
    """
    try:
        yield
    except BadVideoError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised with the name
        filename = results.get('filename', results.get('frame_dir'))
        reason = video_reason(exc, filename)
        where = ''
        if results.get('ann_file'):
            line = results.get('ann_line')
            where = (f' (line {line} of {results["ann_file"]})' if line
                     else f' (in {results["ann_file"]})')
        raise BadVideoError(
            f'{filename}{where} cannot be read ({stage}): {reason}. '
            f'{CLEAN_HINT}, or {SKIP_HINT}.', filename=filename,
            reason=reason, stage=stage) from exc


__all__ = ['BadVideoError', 'decoder_reason', 'video_reason',
           'naming_video_errors']
