# Light UniFormer-XXS, 8 frames at 160x160, Kinetics-400, from the ImageNet-1K
# XXS 160 weights (official exp xxs8_160: 71.4 top-1, 8x1x1 views, 3.3G
# FLOPs). Official run: 4 GPUs x 64 = 256 videos per step (x2 clips),
# lr 4e-4, wd 0.1, drop path 0.05, RandAugment rand-m5-n2-mstd0.25, seed 66666,
# class Uniformer_light_fp32.
# As the 16x160 sibling with 8 frames, 4 GPUs x 64 and lr 4e-4.
_base_ = ['./uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_kinetics400-160px-rgb.py']

num_frames = 8
base_lr = 4e-4
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr),
    _base_.param_scheduler[1]
]
train_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                  else t for t in _base_.train_pipeline]
val_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                else t for t in _base_.val_pipeline]
test_pipeline = val_pipeline
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
