# UniFormer-B, 8x8 dense clips, Kinetics-400, from ImageNet-1K weights
# (official exp uniformer_b8x8_k400: 79.8 top-1, 8x1x4 views). Official run: 8
# GPUs x 8 = 64 videos per step (x2 clips, repeated augmentation), lr 2e-4, 100
# epochs, warmup 10, drop path 0.3, seed 6666.
_base_ = [
    './uniformer-small_imagenet1k-pre_8xb16-8x8x1-100e_kinetics400-rgb.py'
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

base_lr = 2e-4
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr),
    _base_.param_scheduler[1]
]

train_dataloader = dict(batch_size=8)
auto_scale_lr = dict(base_batch_size=64)
