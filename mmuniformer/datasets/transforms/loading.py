"""MMAction2's video readers with the bad video named.

``mmuniformer.DecordInit`` / ``mmuniformer.DecordDecode`` are MMAction2's
``DecordInit`` / ``DecordDecode`` (same arguments, same frames, bitwise),
with each step inside :func:`~mmuniformer.datasets.video_faults.
naming_video_errors`: an unreadable file raises ``BadVideoError`` naming it
instead of decord's ``Error reading 5000 bytes...``, with or without a
Runner. The shipped recognition configs use these two names.
"""
from mmaction.datasets.transforms import DecordDecode as _DecordDecode
from mmaction.datasets.transforms import DecordInit as _DecordInit

from ...registry import TRANSFORMS
from ..video_faults import naming_video_errors


@TRANSFORMS.register_module()
class DecordInit(_DecordInit):
    """MMAction2's ``DecordInit`` (args as there: ``io_backend='disk'``,
    ``num_threads=1``, ``**kwargs``); a file it cannot open raises
    ``BadVideoError`` naming it."""

    def transform(self, results: dict) -> dict:
        with naming_video_errors(results, 'DecordInit'):
            return super().transform(results)


@TRANSFORMS.register_module()
class DecordDecode(_DecordDecode):
    """MMAction2's ``DecordDecode`` (args as there: ``mode='accurate'``);
    frames it cannot decode raise ``BadVideoError`` naming the file."""

    def transform(self, results: dict) -> dict:
        with naming_video_errors(results, 'DecordDecode'):
            return super().transform(results)


__all__ = ['DecordInit', 'DecordDecode']
