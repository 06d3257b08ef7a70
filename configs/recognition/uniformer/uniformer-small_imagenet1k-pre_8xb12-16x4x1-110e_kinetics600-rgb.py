# UniFormer-S, 16x4 dense clips, Kinetics-600, from ImageNet-1K weights
# (official exp uniformer_s16x4_k600: 82.8 top-1, 16x1x4 views). Official run:
# 8 GPUs x 12 = 96 videos per step (x2 clips, repeated augmentation), lr 3e-4,
# 110 epochs, warmup 10, drop path 0.1, seed 6666.
_base_ = [
    './_base_/uniformer3d_model.py', './_base_/uniformer3d_schedule.py',
    './_base_/kinetics600_dense.py'
]

num_classes = 600
# Official ImageNet-1K UniFormer-S weights (§8: uniformer_small_in1k.pth,
# linked from the video README), inflated to 3-D by the Pretrained init
# (averaged over time, as in the official code).
pretrained = 'checkpoints/uniformer_small_in1k.pth'

model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1., num_classes=num_classes)
        ])))

base_lr = 3e-4
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr),
    _base_.param_scheduler[1]
]

train_dataloader = dict(batch_size=12)
auto_scale_lr = dict(base_batch_size=96)
randomness = dict(seed=6666)
