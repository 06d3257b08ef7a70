# UniFormer-B, 16 frames, Something-Something V1, initialised from the official
# Kinetics-600 B16x4 video checkpoint (official exp
# uniformer_b16_sthv1_prek600: 58.8 top-1, 16x3x1 views). Official run: 8 GPUs
# x 5 = 40 videos per step (x2 clips by repeated augmentation, which is dropped
# here: see sthv1_segment.py), lr 2.5e-4, 60 epochs, warmup 5, drop path 0.5,
# seed 6666.
_base_ = [
    './_base_/uniformer3d_model.py', './_base_/uniformer3d_schedule.py',
    './_base_/sthv1_segment.py'
]

num_classes = 174
base_lr = 2.5e-4
max_epochs = 60
warmup_epochs = 5
# Official Kinetics-600 UniFormer-B 16x4 video checkpoint (§8, video zoo:
# uniformer_base_k600_16x4.pth); its 600-class head is not loaded.
pretrained = 'checkpoints/uniformer_base_k600_16x4.pth'

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.5,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1., num_classes=num_classes)
        ])))

train_dataloader = dict(batch_size=5)
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / base_lr, by_epoch=True,
         begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
randomness = dict(seed=6666)
auto_scale_lr = dict(base_batch_size=40)
