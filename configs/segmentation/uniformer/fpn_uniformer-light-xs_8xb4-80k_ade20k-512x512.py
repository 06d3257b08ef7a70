# Semantic FPN + light UniFormer-XS (hourglass, token pruning) on ADE20K
# 512x512, official semantic_segmentation/fpn_seg/exp_light/fpn_xs
# (44.4 mIoU, 19.7M params). Recipe as the classic FPN base (§5.4 of
# uniformer_light.md: AdamW 2e-4, wd 1e-4 on all parameters, cosine with a
# 1000-iteration warm-up, 80k iterations), drop path 0.1, init from
# uniformer_xs_224_in1k.pth.
# As the XXS sibling with the XS backbone, its drop path and init.
_base_ = ['./fpn_uniformer-light-xxs_8xb4-80k_ade20k-512x512.py']

pretrained = 'checkpoints/uniformer_xs_224_in1k.pth'
model = dict(
    backbone=dict(
        arch='xs',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 256, 512]))
