# UniFormer-S+ (S-dagger: overlapping conv stem, depths 3/5/9/3), ImageNet-1K
# 224, DeiT recipe (official exp/uniformer_small_plus: 83.4 top-1, 24M
# params, 4.2G FLOPs; head_dim 32, drop path 0.1, lr 1e-3).
# Deviations from the official run: see _base_/uniformer_deit_in1k.py.
_base_ = ['./_base_/uniformer_deit_in1k.py']

model = dict(
    backbone=dict(arch='small_plus', head_dim=32, drop_path_rate=0.1))
