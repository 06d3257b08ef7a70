# UniFormer-L-LS token-labeling fine-tuning at 384x384 from the 224
# token-labeling checkpoint (set load_from): the official recipe of
# uniformer-large-ls_tl_8xb32_in1k-384px.py (whose released weights and results
# it trains for; test with that config). Recipe and deviations from the
# official run: _base_/uniformer_tl-train_in1k-384px.py. The official run.sh of
# this experiment trains --model uniformer_small_plus (a copy-paste error);
# this config trains L-LS, as its test.sh and the released weights are, with
# the script's drop path 0.3.
_base_ = ['./_base_/uniformer_tl-train_in1k-384px.py']

model = dict(
    backbone=dict(arch='large', head_dim=64, drop_path_rate=0.3),
    head=dict(in_channels=640))
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=256)
