# UniFormer-S+ with head_dim 64, ImageNet-1K 224, DeiT recipe (official
# exp/uniformer_small_plus_dim64: 83.4 top-1, 24M params, 4.2G FLOPs; drop
# path 0.1, lr 1e-3).
# Deviations from the official run: see _base_/uniformer_deit_in1k.py.
_base_ = ['./_base_/uniformer_deit_in1k.py']

model = dict(
    backbone=dict(arch='small_plus', head_dim=64, drop_path_rate=0.1))
