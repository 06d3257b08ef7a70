# Semantic FPN + light UniFormer-XXS (hourglass, token pruning) on ADE20K
# 512x512, official semantic_segmentation/fpn_seg/exp_light/fpn_xxs
# (42.3 mIoU, 13.5M params). Recipe as the classic FPN base (§5.4 of
# uniformer_light.md: AdamW 2e-4, wd 1e-4 on all parameters, cosine with a
# 1000-iteration warm-up, 80k iterations), drop path 0., init from
# uniformer_xxs_224_in1k.pth.
_base_ = ['./_base_/fpn_uniformer.py']

pretrained = 'checkpoints/uniformer_xxs_224_in1k.pth'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmuniformer.UniFormerLight',
        arch='xxs',
        drop_path_rate=0.,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[56, 112, 224, 448]))
