# UniFormer-S, 8x8 dense clips, Kinetics-400, from ImageNet-1K weights
# (official exp uniformer_s8x8_k400: 78.4 top-1, 8x1x4 views). Official run: 8
# GPUs x 16 = 128 videos per step (x2 clips, repeated augmentation), lr 4e-4,
# 100 epochs, warmup 10, drop path 0.1, seed 6666.
_base_ = [
    './uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py'
]

base_lr = 4e-4
max_epochs = 100
optim_wrapper = dict(optimizer=dict(lr=base_lr))
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr),
    dict(_base_.param_scheduler[1], T_max=max_epochs - _base_.warmup_epochs,
         end=max_epochs)
]

# 8x8 sampling: SampleFrames is the second transform of each pipeline
clip_len = 8
frame_interval = 8
train_pipeline = [
    _base_.train_pipeline[0],
    dict(_base_.train_pipeline[1],
         clip_len=clip_len, frame_interval=frame_interval),
    *_base_.train_pipeline[2:]
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(_base_.val_pipeline[1],
         clip_len=clip_len, frame_interval=frame_interval),
    *_base_.val_pipeline[2:]
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(_base_.test_pipeline[1],
         clip_len=clip_len, frame_interval=frame_interval),
    *_base_.test_pipeline[2:]
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
auto_scale_lr = dict(base_batch_size=128)
