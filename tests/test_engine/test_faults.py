"""Faults injected deterministically (no timing): a learning-rate spike on
the last step of an epoch, non-finite gradient norms with the hook's
options, an AMP run's skipped step, a write that fails half-way, damaged
and legacy checkpoints at resume, a checkpoint from another world size.
"""
import builtins
import glob
import logging
import os
import os.path as osp
import zipfile
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn

import mmuniformer  # noqa: F401
from mmuniformer.engine import (ExactResumeHook, NonFiniteCheckHook,
                                NonFiniteError)


class Regressor(BaseModel):
    """y = w.x + b, MSE; ``spike`` adds ``(w - w.detach()).sum() * 3e38``
    on marked batches: the loss is unchanged (finite), the gradient norm
    overflows (inf)."""

    def __init__(self, spike=False):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.spike = spike

    def forward(self, inputs, labels=None, mode='tensor', marks=None):
        out = self.linear(inputs)
        if mode != 'loss':
            return out
        loss = ((out - labels)**2).mean()
        if self.spike and marks is not None and bool(marks.any()):
            w = self.linear.weight.sum()
            loss = loss + (w - w.detach()) * 3e38  # value 0, gradient 3e38
        return dict(loss=loss)


def _data(marked=()):
    gen = torch.Generator().manual_seed(0)
    return [dict(inputs=torch.randn(2, generator=gen),
                 labels=torch.randn(1, generator=gen),
                 marks=torch.tensor(i in marked)) for i in range(8)]


def _runner(work_dir, model, hooks=(), epochs=2, clip_grad=None,
            nonfinite=None, data=None):
    from mmengine.runner import Runner
    nonfinite = dict(type='mmuniformer.NonFiniteCheckHook', **(
        nonfinite or {}))
    return Runner(
        model=model, work_dir=str(work_dir),
        train_dataloader=dict(dataset=data or _data(), batch_size=4,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01),
                           clip_grad=clip_grad),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            max_keep_ckpts=1),
            nonfinite=nonfinite),
        custom_hooks=list(hooks), default_scope='mmengine',
        experiment_name=f'faults_{osp.basename(str(work_dir))}')


def _finite(path):
    state = torch.load(path, map_location='cpu')['state_dict']
    return all(bool(torch.isfinite(v).all()) for v in state.values())


class LrSpikeOnLastStep(Hook):
    """lr = 3e38 for the last iteration of epoch 2 only: the gradient (and
    its clipped norm) is finite, the step turns the weights into inf."""
    priority = 'LOWEST'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        last = batch_idx == len(runner.train_dataloader) - 1
        lr = 3e38 if runner.epoch == 1 and last else 0.01
        for group in runner.optim_wrapper.optimizer.param_groups:
            group['lr'] = lr


def test_weights_inf_on_the_last_step_keep_the_previous_checkpoint(
        tmp_path):
    """With ``clip_grad`` the per-iteration check reads the (finite)
    gradient norm, so inf weights from the last step of an epoch are seen
    only at the epoch end. The hook must act before CheckpointHook, which
    (max_keep_ckpts=1) deletes epoch_1.pth before it writes epoch_2.pth:
    at priority HIGH epoch_1.pth survives; at LOWEST it is deleted and the
    save of epoch_2.pth is then refused, so no checkpoint is left."""
    runner = _runner(tmp_path, Regressor(), hooks=[LrSpikeOnLastStep()],
                     clip_grad=dict(max_norm=10.))
    with pytest.raises(NonFiniteError,
                       match=r"weight 'linear\.\w+' is non-finite at the "
                       r'end of epoch 2'):
        runner.train()
    assert runner.iter == 4
    saved = sorted(osp.basename(p) for p in glob.glob(str(tmp_path / '*.pth')))
    assert saved == ['epoch_1.pth']
    assert _finite(tmp_path / 'epoch_1.pth')


@pytest.mark.parametrize('check_grad_norm', [True, False])
def test_check_grad_norm_option(tmp_path, check_grad_norm):
    """Batch 3 (iteration 1, with batch size 4) gives a finite loss and an
    inf gradient norm; ``clip_grad`` scales that step to zero. With the
    check the run stops there; without it, it goes on (the weights stay
    finite and are still checked at every epoch end)."""
    runner = _runner(tmp_path, Regressor(spike=True), epochs=1,
                     clip_grad=dict(max_norm=10.),
                     nonfinite=dict(check_grad_norm=check_grad_norm),
                     data=_data(marked=(3, )))
    if check_grad_norm:
        with pytest.raises(NonFiniteError,
                           match=r'non-finite gradient norm at iteration 1 '
                           r'.*grad_norm=inf \(loss was finite\)'):
            runner.train()
        assert glob.glob(str(tmp_path / '*.pth')) == []
    else:
        runner.train()
        assert runner.iter == 2
        assert _finite(tmp_path / 'epoch_1.pth')


def _fake_runner(optim_wrapper, norms):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance(f'faults_amp_{id(optim_wrapper)}')
    model = nn.Linear(2, 1)
    runner = SimpleNamespace(message_hub=hub, optim_wrapper=optim_wrapper,
                             model=model, iter=0, epoch=0,
                             train_dataloader=[0, 1])
    return runner, hub


@pytest.mark.parametrize('amp', [True, False])
def test_amp_skipped_step_is_not_divergence(amp):
    """Under ``AmpOptimWrapper`` an inf gradient norm is the GradScaler's
    skipped step (scale lowered, weights untouched): no stop. Under the
    plain wrapper the same norm stops the run."""
    from mmengine.optim import AmpOptimWrapper, OptimWrapper
    optim = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    if amp:
        # mmengine's AmpOptimWrapper refuses to be built without a GPU; the
        # hook only asks which wrapper it is
        wrapper = AmpOptimWrapper.__new__(AmpOptimWrapper)
    else:
        wrapper = OptimWrapper(optim)
    runner, hub = _fake_runner(wrapper, [])
    hook = NonFiniteCheckHook()
    hook.before_train_iter(runner, 0)
    hub.update_scalar('train/grad_norm', float('inf'))
    if amp:
        hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(1.)))
    else:
        with pytest.raises(NonFiniteError, match='grad_norm=inf'):
            hook.after_train_iter(runner, 0,
                                  outputs=dict(loss=torch.tensor(1.)))
    # a non-finite loss stops the run under AMP too
    hook.before_train_iter(runner, 1)
    with pytest.raises(NonFiniteError, match='non-finite loss'):
        hook.after_train_iter(runner, 1,
                              outputs=dict(loss=torch.tensor(float('nan'))))


# -- checkpoint writes that fail half-way ----------------------------------
class _HalfWrite:
    """A file object that writes half of what it is given, then raises
    (a full disk in the middle of the write)."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        self._f.write(data[:len(data) // 2])
        self._f.flush()
        raise OSError(28, 'No space left on device (injected)')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


@pytest.fixture
def failing_writes(monkeypatch, tmp_path):
    """Every binary file opened for writing under ``tmp_path/work`` fails
    half-way through its first write, whatever name it is written under."""
    real_open = builtins.open
    work = str(tmp_path / 'work')
    armed = {'on': False}

    def open_(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if armed['on'] and 'w' in mode and 'b' in mode and str(
                file).startswith(work):
            return _HalfWrite(f)
        return f

    monkeypatch.setattr(builtins, 'open', open_)
    return armed


def test_failed_write_never_leaves_a_truncated_checkpoint(tmp_path,
                                                          failing_writes):
    """Through the toy runner: the save of an existing name (epoch_1.pth
    again) and of a new one (epoch_2.pth) fail half-way. The error reaches
    the caller; epoch_1.pth is still the complete first file and
    epoch_2.pth does not exist (no partial file under a final name).

    The atomic writes are opt-in since the runner-behaviour change: the
    shipped configs' ``mmuniformer.CheckpointHook`` saves through the
    ``mmuniformer_atomic_local`` file backend, so the saves here name it as
    the hook does.
    """
    from toy_runner import toy_runner
    work = tmp_path / 'work'
    runner = toy_runner(work, max_epochs=1)
    runner.train()
    first = torch.load(work / 'epoch_1.pth', map_location='cpu')
    failing_writes['on'] = True
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        with pytest.raises(OSError, match='injected'):
            runner.save_checkpoint(
                str(work), name,
                backend_args=dict(backend='mmuniformer_atomic_local'))
    failing_writes['on'] = False
    again = torch.load(work / 'epoch_1.pth', map_location='cpu')
    for key, value in first['state_dict'].items():
        assert torch.equal(again['state_dict'][key], value)
    assert not (work / 'epoch_2.pth').exists()
    leftovers = [p for p in os.listdir(work) if p.endswith('.pth')]
    assert sorted(leftovers) == ['epoch_1.pth']


# -- damaged and legacy checkpoints at resume ------------------------------
def _corrupt_a_member(path):
    """Flip one byte inside a stored tensor of the zip: headers and sizes
    intact, only the CRC of that member is wrong."""
    with zipfile.ZipFile(path) as archive:
        info = max((i for i in archive.infolist() if '/data/' in i.filename),
                   key=lambda i: i.file_size)
    with open(path, 'r+b') as f:
        f.seek(info.header_offset + 26)
        n, m = int.from_bytes(f.read(2), 'little'), int.from_bytes(
            f.read(2), 'little')
        start = info.header_offset + 30 + n + m
        f.seek(start)
        byte = f.read(1)
        f.seek(start)
        f.write(bytes([byte[0] ^ 0xFF]))


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _resumed_runner(work, epochs):
    from toy_runner import toy_runner
    runner = toy_runner(work, max_epochs=epochs, resume=True)
    runner.register_hook(ExactResumeHook())
    records = _Records()
    runner.logger.addHandler(records)
    return runner, records


def _train_two_epochs(work):
    from toy_runner import toy_runner
    runner = toy_runner(work, max_epochs=2)
    runner.register_hook(ExactResumeHook())
    runner.train()


def test_resume_skips_a_crc_corrupt_latest_checkpoint(tmp_path):
    _train_two_epochs(tmp_path)
    _corrupt_a_member(tmp_path / 'epoch_2.pth')
    runner, records = _resumed_runner(tmp_path, 3)
    runner.train()
    warned = [m for m in records.messages if 'not readable' in m]
    assert len(warned) == 1
    assert 'fails its CRC check' in warned[0] and 'epoch_1.pth' in warned[0]
    assert any('resumed epoch: 1' in m for m in records.messages)
    assert runner.epoch == 3


def test_resume_from_a_legacy_format_checkpoint(tmp_path):
    """torch.save's pre-1.6 format (no zip): readable, resumed as is."""
    _train_two_epochs(tmp_path)
    path = tmp_path / 'epoch_2.pth'
    ckpt = torch.load(path, map_location='cpu', weights_only=False)
    torch.save(ckpt, path, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)
    runner, records = _resumed_runner(tmp_path, 3)
    runner.train()
    assert not [m for m in records.messages if 'not readable' in m]
    assert any('resumed epoch: 2' in m for m in records.messages)
    assert runner.epoch == 3


def test_generator_states_of_another_world_size_warn(tmp_path):
    """A checkpoint saved by 2 processes resumed by 1: the states are not
    restored (which rank's would it be?) and the log says so."""
    _train_two_epochs(tmp_path)
    path = tmp_path / 'epoch_2.pth'
    ckpt = torch.load(path, map_location='cpu', weights_only=False)
    assert len(ckpt['rng_state']) == 1
    ckpt['rng_state'] = ckpt['rng_state'] * 2
    torch.save(ckpt, path)
    runner, records = _resumed_runner(tmp_path, 3)
    runner.train()
    warned = [m for m in records.messages if 'generator states' in m]
    assert warned == [
        'ExactResumeHook: the checkpoint holds generator states of 2 '
        'process(es), this run has 1; generators are seeded from the seed '
        'instead.']
