# UniFormer-S token labeling, ImageNet-1K 224 (official uniformer_small_tl_224:
# 83.4 top-1, 22M params, 3.6G FLOPs; head_dim 32, drop path 0.1).
# Official weights load as shipped and give the official logits; training
# deviates from the official token-labeling run (no token-label loss, no
# MixToken, no EMA): see _base_/uniformer_tl_in1k.py;
# the token-labeling training is the matching *_tl-train_* config.
_base_ = ['./_base_/uniformer_tl_in1k.py']

model = dict(backbone=dict(arch='small', head_dim=32, drop_path_rate=0.1))
