# UniFormer-B, ImageNet-1K 224, DeiT recipe (official exp/uniformer_base:
# 83.8 top-1 -- 83.9 in the top README, the B+LS number --, 50M params, 8.3G
# FLOPs; head_dim 64, drop path 0.3, --lr 4e-4 -> 8e-4 at batch 1024).
# Deviations from the official run: see _base_/uniformer_deit_in1k.py.
_base_ = ['./_base_/uniformer_deit_in1k.py']

base_lr = 8e-4
model = dict(backbone=dict(arch='base', head_dim=64, drop_path_rate=0.3))
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=_base_.warmup_lr / base_lr),
    _base_.param_scheduler[1],
]
