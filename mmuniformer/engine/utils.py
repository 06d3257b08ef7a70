"""Small helpers shared by several of mmuniformer's hooks."""
from typing import List


def is_training(runner) -> bool:
    """Whether ``runner`` is inside ``train()`` (a standalone ``val()`` /
    ``test()`` leaves ``_train_loop`` a config dict or None)."""
    from mmengine.runner import BaseLoop
    return isinstance(getattr(runner, '_train_loop', None), BaseLoop)


def inner_datasets(dataset) -> List:
    """The datasets inside wrappers (RepeatDataset, ConcatDataset, ...)."""
    if hasattr(dataset, 'datasets'):
        return [d for sub in dataset.datasets for d in inner_datasets(sub)]
    if hasattr(dataset, 'dataset') and not hasattr(dataset, 'prepare_data'):
        return inner_datasets(dataset.dataset)
    return [dataset] if hasattr(dataset, 'prepare_data') else []


def saves_after_iter(runner, hook=None) -> bool:
    """Whether an iteration-based ``CheckpointHook`` of ``runner`` writes a
    checkpoint at the end of the current iteration.

    Args:
        runner (Runner): the runner, inside ``after_train_iter``.
        hook (Hook, optional): any hook, for its ``every_n_train_iters`` /
            ``is_last_train_iter`` helpers. Defaults to a plain ``Hook``.
    """
    from mmengine.hooks import CheckpointHook, Hook
    hook = hook or Hook()
    for ckpt in runner.hooks:
        if not isinstance(ckpt, CheckpointHook) or ckpt.by_epoch:
            continue
        if hook.every_n_train_iters(runner, ckpt.interval) or (
                ckpt.save_last and hook.is_last_train_iter(runner)):
            return True
    return False


def find_hook(runner, cls):
    """The first hook of ``runner`` that is an instance of ``cls``."""
    return next((h for h in runner.hooks if isinstance(h, cls)), None)
