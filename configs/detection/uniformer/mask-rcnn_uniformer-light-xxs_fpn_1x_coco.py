# Mask R-CNN + FPN with a light UniFormer-XXS backbone (hourglass, token
# pruning in stages 3-4), 1x schedule, single scale. Official exp:
# object_detection/exp_light/mask_rcnn_1x_xxs (COCO val2017: 42.8 box AP /
# 39.2 mask AP, 29.4M params).
#
# Official run (uniformer_light.md §5.3): 8 GPUs x 2 images, AdamW lr 1e-4,
# wd 0.05 with no decay on parameters named `*norm*` (cls_token is decayed),
# linear warmup 500 iters (ratio 0.001), steps at epochs 8 and 11, fp32 (no
# AMP), no gradient clipping, drop path 0., BatchNorms not frozen,
# ImageNet-1K uniformer_xxs_224_in1k.pth initialisation. Pruning ranks the
# padded pixels of a batch too, as officially.
_base_ = ['./mask-rcnn_uniformer-s-h14_fpn_1x_coco.py']

# Official light ImageNet weights; the dense norm1..norm4 start from (1, 0),
# the ImageNet head, norm and norm_cls / head_cls are ignored.
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

optim_wrapper = dict(dtype='float32')  # fp32 as officially (no AMP)
