"""Preemption (issue 18): SIGTERM / SIGUSR1, sent by the run to itself at a
known iteration through a hook, save a resumable checkpoint at the iteration
boundary and exit with 128 + signal; ``--resume`` continues mid-epoch and
ends bit-identical to an uninterrupted run (shuffled sampler, dropout)."""
import os
import os.path as osp
import signal

import pytest
import torch
from robust_helpers import LogLines, SignalAt
from toy_runner import toy_runner

import mmuniformer  # noqa: F401
from mmuniformer.engine import ExactResumeHook, Preempted, PreemptionHook


def _run(work, resume=False, extra=()):
    # 12 samples, batch 4: 3 iterations per epoch; the model is built
    # before the Runner seeds, so seed its initialisation here
    torch.manual_seed(0)
    return toy_runner(
        work, 3, resume=resume, shuffle=True, dropout=0.5, samples=12,
        checkpoint=dict(type='mmuniformer.CheckpointHook', interval=1,
                        max_keep_ckpts=1),
        custom_hooks=[ExactResumeHook(), PreemptionHook(), *extra],
        randomness=dict(seed=0))


def _weights(runner):
    model = getattr(runner.model, 'module', runner.model)
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize('name', ['SIGTERM', 'SIGUSR1'])
def test_signal_saves_and_resume_is_bit_identical(tmp_path, name):
    signum = getattr(signal, name)
    previous = signal.getsignal(signum)
    reference = _run(tmp_path / 'full')
    reference.train()
    want = _weights(reference)

    work = tmp_path / 'preempted'
    runner = _run(work, extra=[SignalAt(5, name)])  # epoch 2, batch 2
    with LogLines(runner.logger) as lines, pytest.raises(Preempted) as info:
        runner.train()
    assert info.value.code == 128 + signum
    saved = work / 'preempt_iter_5.pth'
    assert (work / 'last_checkpoint').read_text() == str(saved)
    assert (f'Preempted by {name}: stopped after iteration 5 (epoch 2, '
            f'batch 2 of 3) and saved the resumable checkpoint {saved}; '
            'continue with --resume.') in lines
    assert signal.getsignal(signum) == previous  # handler removed
    state = torch.load(saved, map_location='cpu')
    meta, at_preempt = state['meta'], state['state_dict']
    assert (meta['epoch'], meta['iter']) == (1, 5)
    # a preempted run did not get to write epoch_2.pth
    assert not osp.exists(work / 'epoch_2.pth')

    resumed = _run(work, resume=True)
    resumed.train()
    got = _weights(resumed)
    assert resumed.iter == reference.iter == 9
    for key in want:
        assert torch.equal(want[key], got[key]), key
    # the weights did change after the preemption point (a real comparison)
    assert any(not torch.equal(at_preempt[k], want[k]) for k in want)
    # superseded by the next regular checkpoint
    assert not saved.exists()


def test_without_the_hook_sigterm_kills_the_run(tmp_path):
    """What the hook changes: stock behaviour (in a child process) is an
    immediate death by SIGTERM with nothing saved since the last epoch."""
    import subprocess
    import sys
    code = f'''
import os, signal, sys
from mmengine.hooks import Hook
sys.path.insert(0, {osp.dirname(osp.dirname(__file__))!r})
from robust_helpers import LogLines, SignalAt
from toy_runner import toy_runner
class SignalAt(Hook):
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == 5:
            os.kill(os.getpid(), signal.SIGTERM)
toy_runner({str(tmp_path)!r}, 3, samples=12,
           custom_hooks=[SignalAt()]).train()
'''
    res = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == -signal.SIGTERM
    assert not list(tmp_path.glob('preempt_*'))
