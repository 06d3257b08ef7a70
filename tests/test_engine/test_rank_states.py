"""Every saved file holds every rank's generator states (issue 18), the
re-save of ``save_best`` included: 2 gloo ranks on CPU (torchrun), toy
model with validation. mmengine saves on rank 0 only; the latest checkpoint
re-saved after an improved best score held rank 0's states alone before."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch

from robust_helpers import subprocess_env

SCRIPT = r'''
import os, sys
import torch
import mmuniformer
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmuniformer.engine import ExactResumeHook, Runner
from toy_runner import toy_runner


class Score(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.append(1.0)

    def compute_metrics(self, results):
        return dict(score=1.0)  # the first validation is the best so far


class DumpStates(Hook):
    """After CheckpointHook: this rank's torch generator state."""
    priority = 'LOWEST'

    def after_val_epoch(self, runner, metrics=None):
        torch.save(torch.get_rng_state(), os.path.join(
            runner.work_dir, f'rank{os.environ["RANK"]}_after_val.pt'))


val = dict(dataset=[dict(inputs=torch.zeros(2), labels=torch.zeros(1))] * 4,
           batch_size=2, sampler=dict(type='DefaultSampler', shuffle=False),
           collate_fn=dict(type='default_collate'))
runner = toy_runner(
    sys.argv[1], 1, runner_cls=Runner, launcher='pytorch',
    checkpoint=dict(type='mmuniformer.CheckpointHook', interval=1,
                    save_best='score', rule='greater'),
    custom_hooks=[ExactResumeHook(), DumpStates()],
    val_dataloader=val, val_cfg=dict(), val_evaluator=[Score()],
    train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
    randomness=dict(seed=0, diff_rank_seed=True))
runner.train()
'''


def _port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_save_best_resave_holds_every_ranks_states(tmp_path):
    script = tmp_path / 'two_ranks.py'
    script.write_text(SCRIPT)
    res = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(_port()), str(script), str(tmp_path)],
        env=subprocess_env(), capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert 'The best checkpoint with 1.0000 score at 1 epoch' in out
    latest = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu',
                        weights_only=False)
    best = torch.load(tmp_path / 'best_score_epoch_1.pth',
                      map_location='cpu', weights_only=False)
    for saved in (latest, best):
        states = saved['rng_state']
        assert len(states) == 2
        for rank in (0, 1):
            want = torch.load(tmp_path / f'rank{rank}_after_val.pt')
            # the states after validation: those an uninterrupted run
            # continues with
            assert torch.equal(states[rank]['torch'], want), rank
    assert not torch.equal(latest['rng_state'][0]['torch'],
                           latest['rng_state'][1]['torch'])
