# Light UniFormer-XXS, 8 frames at 128x128, Kinetics-400, from the ImageNet-1K
# XXS 128 weights (official exp xxs8_128: 68.3 top-1, 8x1x1 views, 2.0G
# FLOPs). Official run: 4 GPUs x 64 = 256 videos per step (x2 clips),
# lr 4e-4, wd 0.1, drop path 0.05, RandAugment rand (m10, n2), seed 66666,
# class Uniformer_light_ls_fp32 (layer scale 0.1).
# As the 8x160 sibling at 128x128, with layer scale and RandAugment m10-n2.
_base_ = ['./uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u8-110e_kinetics400-160px-rgb.py']

crop_size = 128
pretrained = 'checkpoints/uniformer_xxs_128_in1k.pth'
model = dict(
    backbone=dict(
        layer_scale_init=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
train_pipeline = [
    dict(t, scale=(crop_size, crop_size))
    if t['type'] == 'Resize' and t.get('keep_ratio') is False else t
    for t in _base_.train_pipeline]
val_pipeline = [
    dict(t, scale=(-1, crop_size)) if t['type'] == 'Resize' else
    dict(t, crop_size=crop_size) if t['type'] == 'CenterCrop' else t
    for t in _base_.val_pipeline]
train_pipeline = [
    dict(t, num_ops=2, magnitude=10)
    if t['type'] == 'mmuniformer.ClipRandAugment' else t for t in train_pipeline]
test_pipeline = val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
