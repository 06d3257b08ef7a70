# UniFormer-L with layer scale in every block (dims 128/192/448/640, head_dim
# 64), ImageNet-1K 224, DeiT recipe. NOT an official run: L was released
# with token labeling only (see uniformer-large-ls_tl_8xb128_in1k.py), so
# there is no released checkpoint for this config.
# Deviations: lr 8e-4 (B's DeiT value; the TL run of L used 1.2e-3) and
# drop path 0.4 (the TL run's value) are our choices; the rest as
# _base_/uniformer_deit_in1k.py.
_base_ = ['./uniformer-base_8xb128_in1k.py']

model = dict(
    backbone=dict(arch='large', head_dim=64, drop_path_rate=0.4),
    head=dict(in_channels=640))
