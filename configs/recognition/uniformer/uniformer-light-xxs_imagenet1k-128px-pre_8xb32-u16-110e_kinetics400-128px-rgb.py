# Light UniFormer-XXS, 16 frames at 128x128, Kinetics-400, from the
# ImageNet-1K XXS 128 weights (official exp xxs16_128: 73.3 top-1, 16x1x1
# views, 4.2G FLOPs). Official run: 8 GPUs x 32 = 256 videos per step
# (x2 clips), lr 0.0008, wd 0.1, drop path 0.05, RandAugment rand-m5-n2-mstd0.25,
# seed 66666, class Uniformer_light_fp32.
_base_ = ['./_base_/uniformer-light_kinetics400.py']

num_frames = 16
crop_size = 128
# official ImageNet light weights, inflated to 3-D (§3.4)
pretrained = 'checkpoints/uniformer_xxs_128_in1k.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))

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
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
