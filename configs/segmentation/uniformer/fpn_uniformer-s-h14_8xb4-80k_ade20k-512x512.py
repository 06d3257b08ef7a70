# Semantic FPN + UniFormer-S on ADE20K 512x512, official
# semantic_segmentation/fpn_seg/exp/fpn_hybrid_small.
# Trained and tested with hybrid MHRA in stage 3 (14x14 windows, every 4th
# block global). Official zoo: 46.3 mIoU, 25M params, 172G FLOPs;
# checkpoint not released (log only).
_base_ = ['./_base_/fpn_uniformer.py']

pretrained = 'checkpoints/uniformer_small_in1k.pth'
model = dict(
    backbone=dict(
        arch='small',
        attn_mode='hybrid',
        window_size=14,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
