# UperNet + UniFormer-S on ADE20K 512x512, official
# semantic_segmentation/exp/upernet_hybrid_small.
# Trained and tested with hybrid MHRA in stage 3 (14x14 windows, every 4th
# block global). Official zoo: 46.9 mIoU (MS 48.0), 52M params, 947G FLOPs;
# checkpoint not released.
_base_ = ['./_base_/upernet_uniformer.py']

pretrained = 'checkpoints/uniformer_small_in1k.pth'
model = dict(
    backbone=dict(
        arch='small',
        attn_mode='hybrid',
        window_size=14,
        drop_path_rate=0.25,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
