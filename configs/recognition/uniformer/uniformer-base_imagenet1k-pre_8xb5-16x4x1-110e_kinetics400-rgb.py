# UniFormer-B, 16x4 dense clips, Kinetics-400, from ImageNet-1K weights
# (official exp uniformer_b16x4_k400: 82.0 top-1, 16x1x4 views). Official run:
# 8 GPUs x 5 = 40 videos per step (x2 clips, repeated augmentation), lr
# 1.25e-4, 110 epochs, warmup 10, drop path 0.3, seed 6666.
_base_ = [
    './_base_/uniformer3d_model.py', './_base_/uniformer3d_schedule.py',
    './_base_/kinetics400_dense.py'
]

base_lr = 1.25e-4
max_epochs = 110
warmup_epochs = 10
# Official ImageNet-1K UniFormer-B weights (§8: uniformer_base_in1k.pth, linked
# from the video README), inflated to 3-D by the Pretrained init (averaged over
# time, as in the official code).
pretrained = 'checkpoints/uniformer_base_in1k.pth'

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))

train_dataloader = dict(batch_size=5)
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / base_lr, by_epoch=True,
         begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
randomness = dict(seed=6666)
auto_scale_lr = dict(base_batch_size=40)
