# UniFormer-B, 16 frames, Something-Something V2, initialised from the official
# Kinetics-600 B16x4 video checkpoint (official exp
# uniformer_b16_sthv2_prek600: 70.2 top-1, 16x3x1 views). Official run: 8 GPUs
# x 5 = 40 videos per step (x2 clips, repeated augmentation), lr 2.5e-4, 50
# epochs, warmup 5, drop path 0.5, seed 6666.
_base_ = ['./uniformer-base_kinetics400-pre_8xb5-u16-50e_sthv2-rgb.py']

# Official Kinetics-600 UniFormer-B 16x4 video checkpoint (§8, video zoo:
# uniformer_base_k600_16x4.pth); its 600-class head is not loaded.
pretrained = 'checkpoints/uniformer_base_k600_16x4.pth'
model = dict(
    backbone=dict(
        drop_path_rate=0.5,
        init_cfg=dict(checkpoint=pretrained)))
