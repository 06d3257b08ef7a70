# UniFormer-B, 32 frames, Something-Something V2, initialised from the official
# Kinetics-400 B16x4 video checkpoint (official exp
# uniformer_b32_sthv2_prek400: 71.1 top-1, 32x3x1 views). Official run: 8 GPUs
# x 4 = 32 videos per step (x2 clips, repeated augmentation), lr 2e-4, 50
# epochs, warmup 5, drop path 0.5, seed 6666.
_base_ = ['./uniformer-small_kinetics400-pre_8xb4-u32-50e_sthv2-rgb.py']

# Official Kinetics-400 UniFormer-B 16x4 video checkpoint (§8, video zoo:
# uniformer_base_k400_16x4.pth); its 400-class head is not loaded.
pretrained = 'checkpoints/uniformer_base_k400_16x4.pth'
model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.5,
        init_cfg=dict(checkpoint=pretrained)))
randomness = dict(seed=6666)
