# UperNet + UniFormer-B on ADE20K 512x512, official
# semantic_segmentation/exp/upernet_hybrid_base.
# Trained and tested with hybrid MHRA in stage 3 (14x14 windows, every 4th
# block global). Official zoo: 48.9 mIoU (MS 50.0), 80M params, 1085G FLOPs;
# checkpoint not released.
_base_ = ['./_base_/upernet_uniformer.py']

pretrained = 'checkpoints/uniformer_base_in1k.pth'
model = dict(
    backbone=dict(
        arch='base',
        attn_mode='hybrid',
        window_size=14,
        drop_path_rate=0.4,
        # official checkpoint_num [0, 0, 2, 0]
        with_cp=(0, 0, 2, 0),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
