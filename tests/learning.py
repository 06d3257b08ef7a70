"""Evidence that an end-to-end run learned, for tests/test_hosts.

A training run passes only if (1) the loss averaged over the last window
of iterations is clearly below the average over the first window (one
noisy pair of iterations is not evidence), and (2) on held-out data the
trained model beats the very same model as it was before its first
training step (weights snapshotted by :class:`StartWeights`), scored by
the host's own evaluator through ``runner.test()``. Each test states its
margins, chosen from measured runs.
"""
import copy

import numpy as np
from mmengine.hooks import Hook


class StartWeights(Hook):
    """Keeps a copy of the model's weights as training starts (after the
    Runner's weight init and any checkpoint loading)."""

    priority = 'VERY_LOW'

    def __init__(self):
        self.state = None

    def before_train(self, runner):
        self.state = copy.deepcopy(runner.model.state_dict())


def window_means(history, window):
    """Mean of the first and of the last ``window`` values."""
    history = np.asarray(history, dtype=float)
    assert len(history) >= 2 * window, (len(history), window)
    assert np.isfinite(history).all(), history
    return history[:window].mean(), history[-window:].mean()


def assert_loss_falls(history, window, ratio):
    """Last-window mean loss <= ``ratio`` x first-window mean."""
    first, last = window_means(history, window)
    assert last <= ratio * first, (
        f'loss did not fall enough: first {window} its {first:.4f}, last '
        f'{window} its {last:.4f} (need <= {ratio} x); history {history}')
    return first, last


def evaluate_trained_and_untrained(runner, start):
    """``runner.test()`` with the trained weights, then with the weights
    the run started from (restored afterwards). Returns both metrics."""
    assert start.state is not None, 'StartWeights hook did not run'
    trained_state = copy.deepcopy(runner.model.state_dict())
    trained = runner.test()
    runner.model.load_state_dict(start.state)
    try:
        untrained = runner.test()
    finally:
        runner.model.load_state_dict(trained_state)
    return trained, untrained


def heldout_batches(runner, loader_cfg, seed=0):
    """The batches of a (training-style, with targets) held-out loader,
    drawn once with a fixed seed, so that both models see the same data."""
    from mmengine.runner import set_random_seed
    set_random_seed(seed)
    return list(runner.build_dataloader(loader_cfg, seed=seed))


def mean_heldout_loss(model, batches, state=None):
    """Mean total loss of ``model`` (with ``state`` loaded if given; the
    model's own weights are restored) over ``batches``, eval mode."""
    import torch
    saved = copy.deepcopy(model.state_dict()) if state is not None else None
    was_training = model.training
    model.eval()
    try:
        if state is not None:
            model.load_state_dict(state)
        total = 0.
        from mmengine.runner import set_random_seed
        set_random_seed(0)  # samplers inside the losses draw the same
        with torch.no_grad():
            for batch in batches:
                data = model.data_preprocessor(batch, True)
                losses = model(**data, mode='loss')
                loss, _ = model.parse_losses(losses)
                total += float(loss)
        return total / len(batches)
    finally:
        if saved is not None:
            model.load_state_dict(saved)
        model.train(was_training)


# An MMPretrain ImageFolder run on CPU (config text, ``str.format`` fields
# root, epochs, val_batch): CustomDataset train / val folders, AdamW with a
# linear warm-up then cosine, one validation at the end. The image e2e
# tests add their model and pipelines around it.
IMAGEFOLDER_SCHEDULE = """
train_dataloader = dict(
    batch_size=12, num_workers=0, persistent_workers=False,
    dataset=dict(type='CustomDataset', data_root={root!r},
                 _delete_=True, data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size={val_batch}, num_workers=0, persistent_workers=False,
    dataset=dict(type='CustomDataset', data_root={root!r},
                 _delete_=True, data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.05, eps=1e-8),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.,
                       flat_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=2),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=2,
         end={epochs}),
]
train_cfg = dict(max_epochs={epochs}, val_interval={epochs})
"""
