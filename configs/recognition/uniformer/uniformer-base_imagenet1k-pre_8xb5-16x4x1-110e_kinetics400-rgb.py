# UniFormer-B, 16x4 dense clips, Kinetics-400, from ImageNet-1K weights
# (official exp uniformer_b16x4_k400: 82.0 top-1, 16x1x4 views). Official run:
# 8 GPUs x 5 = 40 videos per step (x2 clips, repeated augmentation), lr
# 1.25e-4, 110 epochs, warmup 10, drop path 0.3, seed 6666.
_base_ = [
    './uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py'
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

train_dataloader = dict(batch_size=5)
auto_scale_lr = dict(base_batch_size=40)
