# UniFormer-L with layer scale in every block, token labeling, ImageNet-1K
# 224 (official uniformer_large_ls_tl_224: 85.6 top-1, 100M params incl. the
# aux head, 12.6G FLOPs as stated officially -- we count 19.7G, see
# docs/flops.md; head_dim 64, drop path 0.4, lr 1.2e-3).
# Official weights load as shipped and give the official logits; training
# deviates from the official token-labeling run (no token-label loss, no
# MixToken, no EMA): see _base_/uniformer_tl_in1k.py;
# the token-labeling training is the matching *_tl-train_* config.
_base_ = ['./_base_/uniformer_tl_in1k.py']

base_lr = 1.2e-3
model = dict(
    backbone=dict(arch='large', head_dim=64, drop_path_rate=0.4),
    head=dict(in_channels=640))
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=_base_.warmup_lr / base_lr),
    _base_.param_scheduler[1],
]
