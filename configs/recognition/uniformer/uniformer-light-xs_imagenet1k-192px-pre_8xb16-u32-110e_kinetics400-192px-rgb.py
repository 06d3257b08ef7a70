# Light UniFormer-XS, 32 frames at 192x192, Kinetics-400, from the ImageNet-1K
# XS 192 weights (official exp xs32_192: 78.6 top-1, 32x1x1 views, 34.2G
# FLOPs). Official run: 8 GPUs x 16 = 128 videos per step (x2 clips),
# lr 4e-4, wd 0.05, drop path 0.1, RandAugment rand-m7-n4-mstd0.5-inc1, seed 6666,
# class Uniformer_light_fp32.
# As the XXS 32x160 sibling with XS at 192x192 and the XS recipe.
_base_ = ['./uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u32-110e_kinetics400-160px-rgb.py']

crop_size = 192
pretrained = 'checkpoints/uniformer_xs_192_in1k.pth'
model = dict(
    backbone=dict(
        arch='xs',
        drop_path_rate=0.1,
        fp32_attention=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(in_channels=512))
base_lr = 4e-4
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=0.05))
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr),
    _base_.param_scheduler[1]
]
train_pipeline = [
    dict(t, scale=(crop_size, crop_size))
    if t['type'] == 'Resize' and t.get('keep_ratio') is False else t
    for t in _base_.train_pipeline]
val_pipeline = [
    dict(t, scale=(-1, crop_size)) if t['type'] == 'Resize' else
    dict(t, crop_size=crop_size) if t['type'] == 'CenterCrop' else t
    for t in _base_.val_pipeline]
train_pipeline = [
    dict(t, num_ops=4, magnitude=7)
    if t['type'] == 'mmuniformer.ClipRandAugment' else t for t in train_pipeline]
test_pipeline = val_pipeline
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
auto_scale_lr = dict(base_batch_size=128)
