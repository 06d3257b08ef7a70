# UniFormer-S, 16 frames, Something-Something V1, initialised from the official
# Kinetics-600 S16x4 video checkpoint (official exp
# uniformer_s16_sthv1_prek600: 57.6 top-1, 16x3x1 views). Official run: 8 GPUs
# x 4 = 32 videos per step (x2 clips by repeated augmentation, which is dropped
# here: see sthv1_segment.py), lr 2e-4, 60 epochs, warmup 5, drop path 0.2,
# seed 0.
_base_ = ['./uniformer-small_kinetics400-pre_8xb4-u16-60e_sthv1-rgb.py']

# Official Kinetics-600 UniFormer-S 16x4 video checkpoint (§8, video zoo:
# uniformer_small_k600_16x4.pth); its 600-class head is not loaded.
pretrained = 'checkpoints/uniformer_small_k600_16x4.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
