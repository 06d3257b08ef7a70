# Light UniFormer-XXS, 16 frames at 160x160, Kinetics-400, from the ImageNet-1K
# XXS 160 weights (official exp xxs16_160: 75.1 top-1, 16x1x1 views, 6.9G
# FLOPs). Official run: 8 GPUs x 32 = 256 videos per step (x2 clips),
# lr 8e-4, wd 0.1, drop path 0.05, RandAugment rand-m5-n2-mstd0.25, seed 66666,
# class Uniformer_light_fp32.
# The base holds this whole recipe but the init.
_base_ = ['./_base_/uniformer-light_kinetics400.py']

# official ImageNet light weights, inflated to 3-D (§3.4 of the light spec)
pretrained = 'checkpoints/uniformer_xxs_160_in1k.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
