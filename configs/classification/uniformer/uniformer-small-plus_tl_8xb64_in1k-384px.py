# UniFormer-S+ token labeling fine-tuned at 384x384 (official
# uniformer_small_plus_tl_384: 84.9 top-1, 24M params, 13.7G FLOPs; head_dim
# 32, drop path 0.1). Official weights load as shipped and give the official
# logits. Deviations from the official run: see
# _base_/uniformer_tl_in1k-384px.py;
# the token-labeling training is the matching *_tl-train_* config.
_base_ = ['./_base_/uniformer_tl_in1k-384px.py']

model = dict(backbone=dict(arch='small_plus', head_dim=32, drop_path_rate=0.1))
