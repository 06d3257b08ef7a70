# Light UniFormer-XXS, 16 frames at 128x128, Kinetics-400, from the ImageNet-1K
# XXS 128 weights (official exp xxs16_128: 73.3 top-1, 16x1x1 views, 4.2G
# FLOPs). Official run: 8 GPUs x 32 = 256 videos per step (x2 clips),
# lr 8e-4, wd 0.1, drop path 0.05, RandAugment rand-m5-n2-mstd0.25, seed 66666,
# class Uniformer_light_fp32.
# As the 16x160 sibling at 128x128.
_base_ = ['./uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_kinetics400-160px-rgb.py']

crop_size = 128
pretrained = 'checkpoints/uniformer_xxs_128_in1k.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
train_pipeline = [
    dict(t, scale=(crop_size, crop_size))
    if t['type'] == 'Resize' and t.get('keep_ratio') is False else t
    for t in _base_.train_pipeline]
val_pipeline = [
    dict(t, scale=(-1, crop_size)) if t['type'] == 'Resize' else
    dict(t, crop_size=crop_size) if t['type'] == 'CenterCrop' else t
    for t in _base_.val_pipeline]
test_pipeline = val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
