"""Run by torchrun in tests/test_robust/test_distributed.py: a toy mmengine
Runner with ``launcher='pytorch'``; ``fix`` imports mmuniformer first (its
compat fixes), ``stock`` does not. Each rank saves its final weights."""
import os
import sys

import torch

if sys.argv[1] == 'fix':
    import mmuniformer  # noqa: F401

from mmengine.runner import Runner  # noqa: E402
from toy_runner import ToyModel  # noqa: E402

work_dir = sys.argv[2]
torch.manual_seed(0)
data = [dict(inputs=torch.randn(2), labels=torch.randn(1)) for _ in range(8)]
runner = Runner(
    model=ToyModel(), work_dir=work_dir, launcher='pytorch',
    env_cfg=dict(dist_cfg=dict(backend='gloo')),
    train_dataloader=dict(dataset=data, batch_size=2,
                          sampler=dict(type='DefaultSampler', shuffle=True),
                          collate_fn=dict(type='default_collate')),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
    train_cfg=dict(by_epoch=True, max_epochs=2),
    default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2)),
    randomness=dict(seed=0), default_scope='mmengine')
runner.train()
model = runner.model.module
print('wrapper', type(runner.model).__name__, flush=True)
torch.save(model.state_dict(),
           os.path.join(work_dir, f'rank{os.environ["RANK"]}.pth'))
