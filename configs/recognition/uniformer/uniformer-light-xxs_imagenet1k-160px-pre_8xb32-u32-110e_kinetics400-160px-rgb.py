# Light UniFormer-XXS, 32 frames at 160x160, Kinetics-400, from the ImageNet-1K
# XXS 160 weights (official exp xxs32_160: 77.9 top-1, 32x1x1 views, 15.4G
# FLOPs). Official run: 8 GPUs x 32 = 256 videos per step (x2 clips),
# lr 8e-4, wd 0.1, drop path 0.05, RandAugment rand-m5-n2-mstd0.25, seed 6666,
# class Uniformer_light (plain: attention under autocast).
# As the 16x160 sibling with 32 frames, the plain class and another seed.
_base_ = ['./uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_kinetics400-160px-rgb.py']

num_frames = 32
model = dict(backbone=dict(fp32_attention=False))
train_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                  else t for t in _base_.train_pipeline]
val_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                else t for t in _base_.val_pipeline]
test_pipeline = val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
randomness = dict(seed=6666)
