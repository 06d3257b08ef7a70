# Light UniFormer-XXS, 4 frames at 160x160, Kinetics-400, from the ImageNet-1K
# XXS 160 weights (official exp xxs4_160: 65.8 top-1, 4x1x1 views, 1.6G
# FLOPs). Official run: 4 GPUs x 64 = 256 videos per step (x2 clips),
# lr 4e-4, wd 0.1, drop path 0.05, RandAugment rand (m10, n2), seed 6666,
# class Uniformer_light_ls_fp32 (layer scale 0.1).
# As the 8x160 sibling with 4 frames, layer scale, RandAugment m10-n2 and
# another seed.
_base_ = ['./uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u8-110e_kinetics400-160px-rgb.py']

num_frames = 4
model = dict(backbone=dict(layer_scale_init=0.1))
train_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                  else t for t in _base_.train_pipeline]
val_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                else t for t in _base_.val_pipeline]
train_pipeline = [
    dict(t, num_ops=2, magnitude=10)
    if t['type'] == 'mmuniformer.ClipRandAugment' else t for t in train_pipeline]
test_pipeline = val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
randomness = dict(seed=6666)
