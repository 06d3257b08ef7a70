# UniFormer-S token-labeling fine-tuning at 384x384 from the 224 token-labeling
# checkpoint (set load_from): the official recipe of
# uniformer-small_tl_8xb64_in1k-384px.py (whose released weights and results it
# trains for; test with that config). Recipe and deviations from the official
# run: _base_/uniformer_tl-train_in1k-384px.py.
_base_ = ['./_base_/uniformer_tl-train_in1k-384px.py']

model = dict(backbone=dict(arch='small', head_dim=32, drop_path_rate=0.1))
