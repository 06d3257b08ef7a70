# UniFormer-S, 32 frames, Something-Something V1, initialised from the official
# Kinetics-600 S16x4 video checkpoint (official exp
# uniformer_s32_sthv1_prek600: 59.9 top-1, 32x3x1 views). Official run: 8 GPUs
# x 4 = 32 videos per step (x2 clips by repeated augmentation, which is dropped
# here: see sthv1_segment.py), lr 2e-4, 60 epochs, warmup 5, drop path 0.3,
# seed 0.
_base_ = ['./uniformer-small_kinetics400-pre_8xb4-u32-60e_sthv1-rgb.py']

# Official Kinetics-600 UniFormer-S 16x4 video checkpoint (§8, video zoo:
# uniformer_small_k600_16x4.pth); its 600-class head is not loaded.
pretrained = 'checkpoints/uniformer_small_k600_16x4.pth'
model = dict(
    backbone=dict(
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint=pretrained)))
