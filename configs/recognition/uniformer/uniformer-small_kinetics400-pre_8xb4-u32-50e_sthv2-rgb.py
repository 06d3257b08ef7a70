# UniFormer-S, 32 frames, Something-Something V2, initialised from the official
# Kinetics-400 S16x4 video checkpoint (official exp
# uniformer_s32_sthv2_prek400: 69.0 top-1, 32x3x1 views). Official run: 8 GPUs
# x 4 = 32 videos per step (x2 clips, repeated augmentation), lr 2e-4, 50
# epochs, warmup 5, drop path 0.3, seed 0.
_base_ = ['./uniformer-small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb.py']

# 32 frames: UniformSample is the second transform of each pipeline
num_frames = 32
train_pipeline = [
    _base_.train_pipeline[0],
    dict(_base_.train_pipeline[1], clip_len=num_frames),
    *_base_.train_pipeline[2:]
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(_base_.val_pipeline[1], clip_len=num_frames),
    *_base_.val_pipeline[2:]
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(_base_.test_pipeline[1], clip_len=num_frames),
    *_base_.test_pipeline[2:]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
