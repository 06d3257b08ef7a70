# UniFormer-S, 16 frames, Something-Something V2, initialised from the official
# Kinetics-600 S16x4 video checkpoint (official exp
# uniformer_s16_sthv2_prek600: 69.4 top-1, 16x3x1 views). Official run: 8 GPUs
# x 4 = 32 videos per step (x2 clips, repeated augmentation), lr 2e-4, 50
# epochs, warmup 5, drop path 0.3, seed 0.
_base_ = [
    './_base_/uniformer3d_model.py', './_base_/uniformer3d_schedule.py',
    './_base_/sthv2_segment.py'
]

num_classes = 174
base_lr = 2e-4
max_epochs = 50
warmup_epochs = 5
# Official Kinetics-600 UniFormer-S 16x4 video checkpoint (§8, video zoo:
# uniformer_small_k600_16x4.pth); its 600-class head is not loaded.
pretrained = 'checkpoints/uniformer_small_k600_16x4.pth'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1., num_classes=num_classes)
        ])))

train_dataloader = dict(batch_size=4)
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / base_lr, by_epoch=True,
         begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=32)
