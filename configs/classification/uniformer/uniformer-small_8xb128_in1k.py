# UniFormer-S, ImageNet-1K 224, DeiT recipe (official exp/uniformer_small:
# 82.9 top-1, 22M params, 3.6G FLOPs; head_dim 64, drop path 0.1, lr 1e-3).
# Official weights: uniformer_small_in1k.pth (`model` container), loads as
# shipped. Deviations from the official run: see _base_/uniformer_deit_in1k.py
# (cosine starts after the warm-up, no EMA, RASampler epoch not rounded).
_base_ = ['./_base_/uniformer_deit_in1k.py']

model = dict(backbone=dict(arch='small', head_dim=64, drop_path_rate=0.1))
