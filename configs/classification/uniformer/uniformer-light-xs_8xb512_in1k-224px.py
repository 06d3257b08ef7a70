# UniFormer-light XS at 224x224, ImageNet-1K (official xs_224:
# 82.0 top-1, 16.5M params, 2.0G FLOPs). Official weights:
# uniformer_xs_224_in1k.pth, load as shipped. Drop path 0.1, lr 4e-3
# (--lr 5e-4 x 4096 / 512), wd 0.05, RandAugment rand-m9-mstd0.5-inc1.
# Recipe and deviations from the official run: _base_/uniformer_light_in1k.py.
_base_ = ['./_base_/uniformer_light_in1k.py']

base_lr = 4e-3
model = dict(
    backbone=dict(arch='xs', drop_path_rate=0.1), head=dict(in_channels=512))
train_pipeline = [
    dict(type='RandAugment', policies='timm_increasing', num_policies=2,
         total_level=10, magnitude_level=9, magnitude_std=0.5,
         hparams=t['hparams']) if t['type'] == 'AutoAugment' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=0.05))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=_base_.warmup_lr / base_lr),
    _base_.param_scheduler[1],
]
