# UniFormer-B, 32x4 dense clips, Kinetics-400, from ImageNet-1K weights
# (official exp uniformer_b32x4_k400: 82.9 top-1, 32x1x4 views). Official run:
# 8 GPUs x 4 = 32 videos per step (x2 clips, repeated augmentation), lr 1e-4,
# 110 epochs, warmup 10, drop path 0.3, seed 6666.
_base_ = [
    './uniformer-small_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb.py'
]

# Official ImageNet-1K UniFormer-B weights (§8: uniformer_base_in1k.pth, linked
# from the video README), inflated to 3-D by the Pretrained init (averaged over
# time, as in the official code).
pretrained = 'checkpoints/uniformer_base_in1k.pth'
model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint=pretrained)))
