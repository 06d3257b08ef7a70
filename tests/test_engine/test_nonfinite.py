"""Non-finite loss / gradient norm: training stops at the first one, naming
the iteration, and no checkpoint of non-finite weights is ever written (the
earlier regular and best checkpoints survive, even with max_keep_ckpts=1)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn

import mmuniformer  # noqa: F401
from mmuniformer.engine import NonFiniteCheckHook, NonFiniteError


class Regressor(BaseModel):
    """y = w.x + b; ``sqrt_zero`` adds ``sqrt(0 * w)``: value 0, gradient
    NaN, so the loss stays finite while the gradient is not."""

    def __init__(self, sqrt_zero=False):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.sqrt_zero = sqrt_zero

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(torch.stack(inputs) if isinstance(inputs, list)
                          else inputs)
        if self.sqrt_zero:
            out = out + torch.sqrt(self.linear.weight.sum() * 0)
        if mode == 'loss':
            return dict(loss=((out - labels)**2).mean())
        if mode == 'predict':
            return [dict(err=float(((out - labels)**2).mean()))]
        return out


class NegMSE(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(neg_mse=-sum(r['err'] for r in results) / len(results))


class BlowUpLR(Hook):
    """Sets a huge learning rate from epoch 2 on (like optimizer.lr=1e6)."""

    def before_train_epoch(self, runner):
        if runner.epoch == 1:
            for group in runner.optim_wrapper.optimizer.param_groups:
                group['lr'] = 1e30


def _runner(work_dir, model, clip_grad=None, hooks=(), epochs=3):
    from mmengine.runner import Runner
    gen = torch.Generator().manual_seed(0)
    data = [dict(inputs=torch.randn(2, generator=gen),
                 labels=torch.randn(1, generator=gen)) for _ in range(8)]
    loader = dict(dataset=data, batch_size=4,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
    return Runner(
        model=model, work_dir=str(work_dir),
        train_dataloader=loader, val_dataloader=loader,
        val_evaluator=[NegMSE()], val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01),
                           clip_grad=clip_grad),
        train_cfg=dict(by_epoch=True, max_epochs=epochs, val_interval=1),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            max_keep_ckpts=1, save_best='neg_mse',
                            rule='greater'),
            nonfinite=dict(type='mmuniformer.NonFiniteCheckHook')),
        custom_hooks=list(hooks), default_scope='mmengine',
        experiment_name=f'nf_{osp.basename(str(work_dir))}')


def _finite(path):
    state = torch.load(path, map_location='cpu')['state_dict']
    return all(bool(torch.isfinite(v).all()) for v in state.values())


def test_diverging_run_stops_and_keeps_good_checkpoints(tmp_path):
    runner = _runner(tmp_path, Regressor(), hooks=[BlowUpLR()])
    with pytest.raises(NonFiniteError,
                       match=r'non-finite loss at iteration 4 \(epoch 2, '
                       r'batch 2 of 2\): loss=inf'):
        runner.train()
    saved = sorted(osp.basename(p) for p in glob.glob(str(tmp_path / '*.pth')))
    # epoch 1's checkpoint and best are kept (max_keep_ckpts=1 would have
    # deleted epoch_1 before writing a NaN epoch_2)
    assert saved == ['best_neg_mse_epoch_1.pth', 'epoch_1.pth']
    assert all(_finite(tmp_path / name) for name in saved)


def test_without_the_hook_the_run_saves_nonfinite_weights(tmp_path):
    """The fault the hook prevents, reproduced with mmengine alone."""
    runner = _runner(tmp_path, Regressor(), hooks=[BlowUpLR()])
    runner._hooks = [h for h in runner._hooks
                     if not isinstance(h, NonFiniteCheckHook)]
    runner.train()
    assert not _finite(tmp_path / 'epoch_3.pth')
    assert not osp.exists(tmp_path / 'epoch_1.pth')


@pytest.mark.parametrize('clip_grad, match', [
    (dict(max_norm=1.0), r'non-finite gradient norm at iteration 1 .*'
     r'grad_norm=nan'),
    (None, r"weight 'linear.weight' is non-finite after iteration 1"),
])
def test_nonfinite_gradient_with_finite_loss(tmp_path, clip_grad, match):
    runner = _runner(tmp_path, Regressor(sqrt_zero=True), clip_grad=clip_grad)
    with pytest.raises(NonFiniteError, match=match):
        runner.train()
    assert glob.glob(str(tmp_path / '*.pth')) == []


def test_nonfinite_weights_are_never_saved(tmp_path):
    runner = _runner(tmp_path, Regressor(), epochs=1)
    hook = NonFiniteCheckHook()
    with torch.no_grad():
        runner.model.linear.bias.fill_(float('nan'))
    with pytest.raises(NonFiniteError,
                       match="refusing to save.*'linear.bias'"):
        hook.before_save_checkpoint(
            runner, dict(state_dict=runner.model.state_dict()))
