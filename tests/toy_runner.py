"""A toy mmengine Runner (no mmuniformer import, so subprocesses can run it
with or without the compat fixes)."""
import torch
from mmengine.model import BaseModel
from torch import nn


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=((out - labels)**2).mean())
        return out


def toy_runner(work_dir, max_epochs, resume=False):
    from mmengine.runner import Runner
    data = [dict(inputs=torch.randn(2), labels=torch.randn(1))
            for _ in range(8)]
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, batch_size=4,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        resume=resume,
        default_scope='mmengine',
        experiment_name=f'toy_{max_epochs}_{resume}')
