# UniFormer-S (head_dim 64) token-labeling training, ImageNet-1K 224: the
# official recipe of uniformer-small-dim64_tl_8xb128_in1k.py (whose released
# weights and results it trains for; test with that config). Recipe and
# deviations from the official run: _base_/uniformer_tl-train_in1k.py.
_base_ = ['./_base_/uniformer_tl-train_in1k.py']

model = dict(backbone=dict(arch='small', head_dim=64, drop_path_rate=0.1))
