# UniFormer-B token labeling, ImageNet-1K 224 (official uniformer_base_tl_224:
# 85.1 top-1, 50M params, 8.3G FLOPs; head_dim 32, drop path 0.3).
# Official weights load as shipped and give the official logits; training
# deviates from the official token-labeling run (no token-label loss, no
# MixToken, no EMA): see _base_/uniformer_tl_in1k.py;
# the token-labeling training is the matching *_tl-train_* config.
_base_ = ['./_base_/uniformer_tl_in1k.py']

model = dict(backbone=dict(arch='base', head_dim=32, drop_path_rate=0.3))
