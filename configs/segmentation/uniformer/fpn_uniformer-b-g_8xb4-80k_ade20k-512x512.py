# Semantic FPN + UniFormer-B on ADE20K 512x512, official
# semantic_segmentation/fpn_seg/exp/fpn_global_base.
# Trained with global MHRA in stage 3. The one checkpoint is evaluated in
# three modes by the test configs beside this file (official zoo, 54M
# params, Google Drive file 14dLoIcAUWjyo1d5XXuo1yb2jcslt_t4P):
#   *_w32.py  windows ws32  47.0 mIoU, 310G FLOPs
#   *_h32.py  hybrid ws32   47.7 mIoU, 350G FLOPs
#   *_g.py    global        48.0 mIoU, 471G FLOPs
# The official test.sh uses h32.
_base_ = ['./_base_/fpn_uniformer.py']

pretrained = 'checkpoints/uniformer_base_in1k.pth'
model = dict(
    backbone=dict(
        arch='base',
        attn_mode='global',
        drop_path_rate=0.2,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
