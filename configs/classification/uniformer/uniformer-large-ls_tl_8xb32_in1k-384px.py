# UniFormer-L-LS token labeling fine-tuned at 384x384 (official
# uniformer_large_ls_tl_384: 86.3 top-1, 100M params, 39.2G FLOPs; head_dim 64,
# drop path 0.3, batch 8 x 32). Official weights load as shipped and give the
# official logits. Deviations from the official run: see
# _base_/uniformer_tl_in1k-384px.py; the token-labeling training is the
# matching *_tl-train_* config. (The official run.sh of this experiment names
# --model uniformer_small_plus, a copy-paste error, reference §11.15; its
# test.sh and the released weights are L-LS.)
_base_ = ['./_base_/uniformer_tl_in1k-384px.py']

model = dict(
    backbone=dict(arch='large', head_dim=64, drop_path_rate=0.3),
    head=dict(in_channels=640))
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=256)
