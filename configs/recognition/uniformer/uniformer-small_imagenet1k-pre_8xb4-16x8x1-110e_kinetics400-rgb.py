# UniFormer-S, 16x8 dense clips, Kinetics-400, from ImageNet-1K weights
# (official exp uniformer_s16x8_k400: 80.8 top-1, 16x1x4 views). Official run:
# 8 GPUs x 4 = 32 videos per step (x2 clips, repeated augmentation), lr 1e-4,
# 110 epochs, warmup 10, drop path 0.1, seed 6666.
_base_ = [
    './uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py'
]

# 16x8 sampling: SampleFrames is the second transform of each pipeline
frame_interval = 8
train_pipeline = [
    _base_.train_pipeline[0],
    dict(_base_.train_pipeline[1], frame_interval=frame_interval),
    *_base_.train_pipeline[2:]
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(_base_.val_pipeline[1], frame_interval=frame_interval),
    *_base_.val_pipeline[2:]
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(_base_.test_pipeline[1], frame_interval=frame_interval),
    *_base_.test_pipeline[2:]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
