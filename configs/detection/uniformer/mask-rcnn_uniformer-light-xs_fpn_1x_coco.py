# Mask R-CNN + FPN with a light UniFormer-XS backbone (hourglass, token
# pruning in stages 3-4), 1x schedule, single scale. Official exp:
# object_detection/exp_light/mask_rcnn_1x_xs (COCO val2017: 44.6 box AP /
# 40.9 mask AP, 35.6M params).
#
# Official run (uniformer_light.md §5.3): 8 GPUs x 2 images, AdamW lr 1e-4,
# wd 0.05 with no decay on parameters named `*norm*` (cls_token is decayed),
# linear warmup 500 iters (ratio 0.001), steps at epochs 8 and 11, fp32 (no
# AMP), no gradient clipping, drop path 0.15, BatchNorms not frozen,
# ImageNet-1K uniformer_xs_224_in1k.pth initialisation. Pruning ranks the
# padded pixels of a batch too, as officially.
# As the XXS sibling with the XS backbone, its drop path and init.
_base_ = ['./mask-rcnn_uniformer-light-xxs_fpn_1x_coco.py']

pretrained = 'checkpoints/uniformer_xs_224_in1k.pth'
model = dict(
    backbone=dict(
        arch='xs',
        drop_path_rate=0.15,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 256, 512]))
