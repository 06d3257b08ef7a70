# UniFormer-S, 32 frames, Something-Something V1, initialised from the official
# Kinetics-400 S16x4 video checkpoint (official exp
# uniformer_s32_sthv1_prek400: 58.8 top-1, 32x3x1 views). Official run: 8 GPUs
# x 4 = 32 videos per step (x2 clips by repeated augmentation, which is dropped
# here: see sthv1_segment.py), lr 2e-4, 60 epochs, warmup 5, drop path 0.2,
# seed 0.
_base_ = ['./uniformer-small_kinetics400-pre_8xb4-u16-60e_sthv1-rgb.py']

# 32 frames: UniformSample is the first transform of each pipeline
num_frames = 32
train_pipeline = [
    dict(_base_.train_pipeline[0], clip_len=num_frames),
    *_base_.train_pipeline[1:]
]
val_pipeline = [
    dict(_base_.val_pipeline[0], clip_len=num_frames),
    *_base_.val_pipeline[1:]
]
test_pipeline = [
    dict(_base_.test_pipeline[0], clip_len=num_frames),
    *_base_.test_pipeline[1:]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
