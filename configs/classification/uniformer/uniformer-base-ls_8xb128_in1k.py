# UniFormer-B with layer scale (attention blocks, init 1e-6), ImageNet-1K
# 224, DeiT recipe (official exp/uniformer_base_ls: 83.9 top-1, 50M params,
# 8.3G FLOPs; head_dim 64, drop path 0.3, lr 8e-4).
# Deviations from the official run: see _base_/uniformer_deit_in1k.py.
_base_ = ['./uniformer-base_8xb128_in1k.py']

model = dict(backbone=dict(arch='base_ls'))
