# Semantic FPN + UniFormer-B on ADE20K 512x512, official
# semantic_segmentation/fpn_seg/exp/fpn_hybrid_base.
# Trained and tested with hybrid MHRA in stage 3 (14x14 windows, every 4th
# block global). Official zoo: 47.0 mIoU, 54M params, 328G FLOPs;
# Google Drive file 14XokJDp1oYDV9jZnniMXyk3AnVfk1S1-.
_base_ = ['./_base_/fpn_uniformer.py']

pretrained = 'checkpoints/uniformer_base_in1k.pth'
model = dict(
    backbone=dict(
        arch='base',
        attn_mode='hybrid',
        window_size=14,
        drop_path_rate=0.2,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
