# UniFormer-S, 16 frames, Something-Something V2, initialised from the official
# Kinetics-400 S16x4 video checkpoint (official exp
# uniformer_s16_sthv2_prek400: 67.7 top-1, 16x3x1 views). Official run: 8 GPUs
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
# Official Kinetics-400 UniFormer-S 16x4 video checkpoint (§8, video zoo:
# uniformer_small_k400_16x4.pth); its 400-class head is not loaded.
pretrained = 'checkpoints/uniformer_small_k400_16x4.pth'

model = dict(
    backbone=dict(
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
    dict(_base_.param_scheduler[0], start_factor=1e-6 / base_lr,
         end=warmup_epochs),
    dict(_base_.param_scheduler[1], T_max=max_epochs - warmup_epochs,
         begin=warmup_epochs, end=max_epochs)
]
randomness = dict(seed=0)
