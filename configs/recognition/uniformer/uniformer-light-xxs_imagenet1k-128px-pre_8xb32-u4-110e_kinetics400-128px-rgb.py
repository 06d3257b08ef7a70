# Light UniFormer-XXS, 4 frames at 128x128, Kinetics-400, from the ImageNet-1K
# XXS 128 weights (official exp xxs4_128: 63.2 top-1, 4x1x1 views, 1.0G
# FLOPs). Official run: 8 GPUs x 32 = 256 videos per step (x2 clips),
# lr 4e-4, wd 0.1, drop path 0.05, RandAugment rand (m10, n2), seed 66667,
# class Uniformer_light_ls_fp32 (layer scale 0.1).
# As the 8x128 sibling with 4 frames, 8 GPUs x 32 and another seed.
_base_ = ['./uniformer-light-xxs_imagenet1k-128px-pre_4xb64-u8-110e_kinetics400-128px-rgb.py']

num_frames = 4
train_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                  else t for t in _base_.train_pipeline]
val_pipeline = [dict(t, clip_len=num_frames) if t['type'] == 'UniformSample'
                else t for t in _base_.val_pipeline]
test_pipeline = val_pipeline
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
randomness = dict(seed=66667)
