# Light UniFormer-XS, 32 frames at 192x192, Kinetics-400, from the
# ImageNet-1K XS 192 weights (official exp xs32_192: 78.6 top-1, 32x1x1
# views, 34.2G FLOPs). Official run: 8 GPUs x 16 = 128 videos per step
# (x2 clips), lr 0.0004, wd 0.05, drop path 0.1, RandAugment rand-m7-n4-mstd0.5-inc1,
# seed 6666, class Uniformer_light_fp32.
_base_ = ['./_base_/uniformer-light_kinetics400.py']

num_frames = 32
crop_size = 192
# official ImageNet light weights, inflated to 3-D (§3.4)
pretrained = 'checkpoints/uniformer_xs_192_in1k.pth'
model = dict(
    backbone=dict(
        arch='xs',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(in_channels=512))
base_lr = 0.0004
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=0.05))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr),
    _base_.param_scheduler[1]
]

# UniformSample is transform 1; RandAugment 4 and the final Resize 6 of
# the train pipeline; Resize 3 and CenterCrop 4 of the test pipeline
train_pipeline = [
    _base_.train_pipeline[0],
    dict(_base_.train_pipeline[1], clip_len=num_frames),
    *_base_.train_pipeline[2:4],
    dict(_base_.train_pipeline[4], num_ops=4, magnitude=7),
    _base_.train_pipeline[5],
    dict(_base_.train_pipeline[6], scale=(crop_size, crop_size)),
    *_base_.train_pipeline[7:]
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(_base_.val_pipeline[1], clip_len=num_frames),
    _base_.val_pipeline[2],
    dict(_base_.val_pipeline[3], scale=(-1, crop_size)),
    dict(_base_.val_pipeline[4], crop_size=crop_size),
    *_base_.val_pipeline[5:]
]
test_pipeline = val_pipeline
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
auto_scale_lr = dict(base_batch_size=128)
randomness = dict(seed=6666)
