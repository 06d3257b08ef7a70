"""MMAction2's ``VideoDataset`` / ``RepeatAugDataset`` with checked lists.

``mmuniformer.VideoDataset`` and ``mmuniformer.RepeatAugDataset`` are the
hosts' classes (same arguments, same samples, same pipeline) whose
``load_data_list`` reads the list by the rule of
:mod:`mmuniformer.datasets.annotations`: the list and the video folder must
exist (:class:`MissingDataError` with the layout and the overrides), every
line is ``<path> <label>`` with the label as the last field (paths with
spaces work), labels are integers from 0 (below ``num_classes`` when the data
set is given it), blank lines are skipped with a note. Each sample also
carries ``ann_line`` (its line number) so that later errors can name it.
The head's class count is checked against the labels by
:class:`mmuniformer.engine.hooks.AnnotationCheckHook` (the data set is built
without the model config).

Registered in ``mmuniformer``'s DATASETS registry; the shipped recognition
configs use them. The default scope stays the config's (``mmaction``) while
they are built, so their pipelines' unprefixed transforms (``DecordInit``,
...) are MMAction2's, as with ``type='VideoDataset'``.
"""
import os.path as osp

from mmaction.datasets import RawframeDataset as _MMARawframeDataset
from mmaction.datasets import VideoDataset as _MMAVideoDataset
from mmengine.logging import print_log

from ..registry import DATASETS
from .annotations import check_data_paths, read_video_list
from .repeat_aug_dataset import AnyDecoderRepeatAugDataset


class CheckedListMixin:
    """``load_data_list`` with checks (see the module docstring)."""

    def load_data_list(self):
        video_root = self.data_prefix.get('video')
        check_data_paths(self.ann_file, video_root, self.test_mode)
        if self.multi_class:
            return super().load_data_list()
        entries, blanks = read_video_list(self.ann_file, self.num_classes,
                                          self.delimiter)
        if blanks:
            shown = ', '.join(map(str, blanks[:10]))
            more = ' ...' if len(blanks) > 10 else ''
            print_log(f'{self.ann_file}: skipped {len(blanks)} blank '
                      f'line(s) (line {shown}{more})', logger='current',
                      level=30)
        for entry in entries:
            if video_root is not None:
                entry['filename'] = osp.join(video_root, entry['filename'])
        return entries


@DATASETS.register_module()
class VideoDataset(CheckedListMixin, _MMAVideoDataset):
    """MMAction2's ``VideoDataset`` with checked lists (module docstring).

    Args: those of ``mmaction.datasets.VideoDataset``.
    """


@DATASETS.register_module()
class RepeatAugDataset(CheckedListMixin, AnyDecoderRepeatAugDataset):
    """MMAction2's ``RepeatAugDataset`` with checked lists (module
    docstring).

    Args: those of ``mmaction.datasets.RepeatAugDataset``.
    """


@DATASETS.register_module()
class RawframeDataset(_MMARawframeDataset):
    """MMAction2's ``RawframeDataset`` whose missing list or frame folder is
    a :class:`MissingDataError` with the layout and the overrides (its
    ``<frame dir> <total frames> <label>`` lines are parsed by MMAction2;
    the labels are checked by ``AnnotationCheckHook``).

    Args: those of ``mmaction.datasets.RawframeDataset``.
    """

    def load_data_list(self):
        check_data_paths(self.ann_file, self.data_prefix.get('img'),
                         self.test_mode, prefix_key='img')
        return super().load_data_list()
