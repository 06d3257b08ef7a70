# UniFormer-B, 16x8 dense clips, Kinetics-600, from ImageNet-1K weights
# (official exp uniformer_b16x8_k600: 83.4 top-1, 16x1x4 views). Official run:
# 8 GPUs x 4 = 32 videos per step (x2 clips, repeated augmentation), lr
# 1.25e-4, 110 epochs, warmup 10, drop path 0.3, seed 6666.
_base_ = [
    './uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_kinetics600-rgb.py'
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

base_lr = 1.25e-4
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr),
    _base_.param_scheduler[1]
]
