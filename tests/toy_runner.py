"""A toy mmengine Runner (no mmuniformer import, so subprocesses can run it
with or without the compat fixes)."""
import torch
from mmengine.model import BaseModel
from torch import nn


class ToyModel(BaseModel):

    def __init__(self, dropout: float = 0.):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(self.dropout(inputs))
        if mode == 'loss':
            return dict(loss=((out - labels)**2).mean())
        return out


def toy_runner(work_dir, max_epochs, resume=False, checkpoint=None,
               custom_hooks=None, shuffle=False, dropout=0., samples=8,
               runner_cls=None, **kwargs):
    """A Runner on 8 random 2-d samples, batch 4 (2 iterations an epoch).

    Args:
        checkpoint (dict, optional): ``default_hooks.checkpoint`` (mmengine's
            ``CheckpointHook``, ``interval=1`` by default).
        custom_hooks (list, optional): hook configs or objects.
        shuffle (bool): sampler shuffling. dropout (float): before the
            linear layer (so the torch generator matters).
        runner_cls (type, optional): defaults to mmengine's Runner.
        **kwargs: more ``Runner`` arguments.
    """
    from mmengine.runner import Runner
    gen = torch.Generator().manual_seed(0)
    data = [dict(inputs=torch.randn(2, generator=gen),
                 labels=torch.randn(1, generator=gen))
            for _ in range(samples)]
    kwargs.setdefault('train_cfg', dict(by_epoch=True, max_epochs=max_epochs))
    kwargs.setdefault('default_hooks', {})['checkpoint'] = \
        checkpoint or dict(type='CheckpointHook', interval=1)
    return (runner_cls or Runner)(
        model=ToyModel(dropout),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, batch_size=4,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=shuffle),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        resume=resume,
        custom_hooks=custom_hooks,
        default_scope='mmengine',
        experiment_name=kwargs.pop(
            'experiment_name', f'toy_{max_epochs}_{resume}_{id(data)}'),
        **kwargs)
