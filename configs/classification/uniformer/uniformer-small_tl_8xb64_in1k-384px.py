# UniFormer-S token labeling fine-tuned at 384x384 (official
# uniformer_small_tl_384: 84.6 top-1, 22M params, 11.9G FLOPs; head_dim 32,
# drop path 0.1). Official weights load as shipped and give the official
# logits. Deviations from the official run: see
# _base_/uniformer_tl_in1k-384px.py;
# the token-labeling training is the matching *_tl-train_* config.
_base_ = ['./_base_/uniformer_tl_in1k-384px.py']

model = dict(backbone=dict(arch='small', head_dim=32, drop_path_rate=0.1))
