# UniFormer-S, 16x4 dense clips, Kinetics-400, from ImageNet-1K weights
# (official exp uniformer_s16x4_k400: 80.8 top-1, 16x1x4 views). Official run:
# 8 GPUs x 4 = 32 videos per step (x2 clips, repeated augmentation), lr 1e-4,
# 110 epochs, warmup 10, drop path 0.1, seed 6666.
_base_ = [
    './_base_/uniformer3d_model.py', './_base_/uniformer3d_schedule.py',
    './_base_/kinetics400_dense.py'
]

# The bases hold the rest of this recipe: UniFormer-S with drop path 0.1, lr
# 1e-4, 110 epochs, warmup 10, 4 videos per GPU, 32 per step.

# Official ImageNet-1K UniFormer-S weights (§8: uniformer_small_in1k.pth,
# linked from the video README), inflated to 3-D by the Pretrained init
# (averaged over time, as in the official code).
pretrained = 'checkpoints/uniformer_small_in1k.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
randomness = dict(seed=6666)
