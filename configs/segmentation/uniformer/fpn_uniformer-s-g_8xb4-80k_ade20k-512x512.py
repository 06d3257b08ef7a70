# Semantic FPN + UniFormer-S on ADE20K 512x512, official
# semantic_segmentation/fpn_seg/exp/fpn_global_small.
# Trained with global MHRA in stage 3. The one checkpoint is evaluated in
# three modes by the test configs beside this file (official zoo, 25M
# params, Google Drive file 14bEsZqMw35tmDgrvYA_dRMsSC0Z4TX2Y):
#   *_w32.py  windows ws32  45.6 mIoU, 183G FLOPs
#   *_h32.py  hybrid ws32   46.2 mIoU, 199G FLOPs
#   *_g.py    global        46.6 mIoU, 247G FLOPs
# The official test.sh uses h32.
_base_ = ['./_base_/fpn_uniformer.py']

pretrained = 'checkpoints/uniformer_small_in1k.pth'
model = dict(
    backbone=dict(
        arch='small',
        attn_mode='global',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
