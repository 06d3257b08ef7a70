# UniFormer-L-LS token-labeling training, ImageNet-1K 224: the official recipe
# of uniformer-large-ls_tl_8xb128_in1k.py (whose released weights and results
# it trains for; test with that config). Recipe and deviations from the
# official run: _base_/uniformer_tl-train_in1k.py.
_base_ = ['./_base_/uniformer_tl-train_in1k.py']

base_lr = 1.2e-3
model = dict(
    backbone=dict(arch='large', head_dim=64, drop_path_rate=0.4),
    head=dict(in_channels=640))
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=_base_.warmup_lr / base_lr),
    _base_.param_scheduler[1],
]
