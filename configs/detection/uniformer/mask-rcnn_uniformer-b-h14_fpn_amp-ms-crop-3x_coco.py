# Mask R-CNN + FPN with a UniFormer-B backbone (hybrid stage 3, window 14),
# 3x schedule, multi-scale + crop. Official exp: mask_rcnn_3x_ms_hybrid_base
# (COCO val2017: 50.3 box AP / 44.8 mask AP, 69M params, 399 GFLOPs).
# Same recipe as the S config, except drop path 0.3 and activation
# checkpointing of all 20 stage-3 blocks (checkpoint_num [0, 0, 20, 0]).
_base_ = ['./mask-rcnn_uniformer-s-h14_fpn_amp-ms-crop-3x_coco.py']

pretrained = 'checkpoints/uniformer_base_in1k.pth'

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.3,
        with_cp=(0, 0, 20, 0),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
