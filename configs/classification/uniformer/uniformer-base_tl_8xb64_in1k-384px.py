# UniFormer-B token labeling fine-tuned at 384x384 (official
# uniformer_base_tl_384: 86.0 top-1, 50M params, 27.2G FLOPs; head_dim 32, drop
# path 0.3). Official weights load as shipped and give the official logits.
# Deviations from the official run: see _base_/uniformer_tl_in1k-384px.py;
# the token-labeling training is the matching *_tl-train_* config.
_base_ = ['./_base_/uniformer_tl_in1k-384px.py']

model = dict(backbone=dict(arch='base', head_dim=32, drop_path_rate=0.3))
