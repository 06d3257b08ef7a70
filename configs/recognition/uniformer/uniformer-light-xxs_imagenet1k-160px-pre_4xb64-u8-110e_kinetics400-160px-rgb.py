# Light UniFormer-XXS, 8 frames at 160x160, Kinetics-400, from the
# ImageNet-1K XXS 160 weights (official exp xxs8_160: 71.4 top-1, 8x1x1
# views, 3.3G FLOPs). Official run: 4 GPUs x 64 = 256 videos per step
# (x2 clips), lr 0.0004, wd 0.1, drop path 0.05, RandAugment rand-m5-n2-mstd0.25,
# seed 66666, class Uniformer_light_fp32.
_base_ = ['./_base_/uniformer-light_kinetics400.py']

num_frames = 8
crop_size = 160
# official ImageNet light weights, inflated to 3-D (§3.4)
pretrained = 'checkpoints/uniformer_xxs_160_in1k.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
base_lr = 0.0004
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=0.1))
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
    _base_.train_pipeline[4],
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
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
