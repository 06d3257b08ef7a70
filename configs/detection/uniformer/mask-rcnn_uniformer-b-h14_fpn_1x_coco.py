# Mask R-CNN + FPN with a UniFormer-B backbone (hybrid stage 3, window 14),
# 1x schedule, single scale. Official exp: mask_rcnn_1x_hybrid_base
# (COCO val2017: 47.4 box AP / 43.1 mask AP, 69M params, 399 GFLOPs).
# Same recipe as the S config, except drop path 0.3 and no activation
# checkpointing (the official 1x base run did not checkpoint).
_base_ = ['./mask-rcnn_uniformer-s-h14_fpn_1x_coco.py']

pretrained = 'checkpoints/uniformer_base_in1k.pth'

model = dict(
    backbone=dict(
        arch='base',  # stage-3 blocks 3, 7, 11, 15, 19 global
        drop_path_rate=0.3,
        with_cp=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
