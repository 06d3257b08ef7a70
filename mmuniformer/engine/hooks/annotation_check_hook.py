"""Check every data set's labels against the head before iteration 1.

The class count lives in the model config (``model.cls_head.num_classes``)
and the data sets are built without it, so a data set cannot check
``label < num_classes`` by itself. The Runner is the first place that holds
both: ``train()`` builds the train and val loops (their data sets included),
then calls ``before_run``, then loads weights and starts iterating; ``val()``
and ``test()`` build their loop, then call ``before_run``. So this hook
checks, at ``before_run``, every loop that is built: train and val before
training starts (a bad val label no longer gives a run that ends with rc 0
and wrong metrics, hence a wrong best checkpoint), test before ``mim test``.

It reads the labels the data set already parsed (``get_data_info``), so it
works for MMAction2's own data sets too; with ``mmuniformer.VideoDataset`` the
error names the line (``ann_line``), otherwise the entry's index.
"""
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.runner import BaseLoop

from ...datasets.annotations import AnnotationError, bad_lines_message
from ...registry import HOOKS

_HEAD_KEYS = (('cls_head', 'model.cls_head.num_classes'),
              ('head', 'model.head.num_classes'))


def head_num_classes(model):
    """``(num_classes, config key)`` of the model's classification head, or
    ``(None, None)`` when it has none (detectors, segmentors ...)."""
    model = getattr(model, 'module', model)
    for attr, key in _HEAD_KEYS:
        head = getattr(model, attr, None)
        num = getattr(head, 'num_classes', None)
        if isinstance(num, int):
            return num, key
    return None, None


def leaf_datasets(dataset) -> List:
    """The data sets holding samples below mmengine's wrappers
    (``ConcatDataset.datasets``, ``RepeatDataset.dataset`` ...)."""
    if hasattr(dataset, 'datasets'):
        return [d for sub in dataset.datasets for d in leaf_datasets(sub)]
    if hasattr(dataset, 'dataset') and not hasattr(dataset,
                                                   'get_data_info'):
        return leaf_datasets(dataset.dataset)
    return [dataset]


def check_labels(dataset, num_classes: int, key: str,
                 split: str = '') -> None:
    """Raise :class:`AnnotationError` for labels outside
    ``[0, num_classes)`` in a built data set.

    Args:
        dataset (BaseDataset): an mmengine data set (``get_data_info``: its
            ``data_list`` is emptied when the samples are serialised).
        num_classes (int): the head's class count.
        key (str): its config key, named in the fix.
        split (str): ``'train'`` / ``'val'`` / ``'test'``, named in the
            message. Defaults to ''.
    """
    if not hasattr(dataset, 'get_data_info'):
        return
    bad = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        labels = info.get('label')
        if labels is None:
            continue
        values = labels if isinstance(labels, (list, tuple)) else [labels]
        try:
            wrong = [int(v) for v in values
                     if not 0 <= int(v) < num_classes]
        except (TypeError, ValueError):
            continue  # one-hot arrays and other label kinds: not ours
        if wrong:
            where = info.get('ann_line')
            number = where if where is not None else f'entry {index}'
            bad.append((number, f'label {wrong[0]} is out of range for the '
                        f'head\'s {num_classes} classes ({key}={num_classes})'
                        ))
    if bad:
        ann_file = getattr(dataset, 'ann_file', type(dataset).__name__)
        raise AnnotationError(bad_lines_message(
            ann_file, bad, num_classes,
            where=f' ({split} data set)' if split else ''))


@HOOKS.register_module()
class AnnotationCheckHook(Hook):
    """Labels of every built data set inside the head's range, checked at
    ``before_run`` (module docstring says why there).

    Args:
        num_classes (int, optional): the class count to check against;
            ``None`` reads the head's (``cls_head`` / ``head``
            ``.num_classes``), and models without one are not checked.
            Defaults to None.
    """

    priority = 'VERY_HIGH'

    def __init__(self, num_classes: Optional[int] = None):
        self.num_classes = num_classes

    def before_run(self, runner) -> None:
        num, key = (self.num_classes, 'num_classes') \
            if self.num_classes is not None \
            else head_num_classes(runner.model)
        if num is None:
            return
        for split in ('train', 'val', 'test'):
            loop = getattr(runner, f'_{split}_loop', None)
            if not isinstance(loop, BaseLoop):
                continue  # not built for this run (a dict or None)
            for dataset in leaf_datasets(loop.dataloader.dataset):
                check_labels(dataset, num, key, split)
