# UperNet + UniFormer-S on ADE20K 512x512, official
# semantic_segmentation/exp/upernet_global_small.
# Trained with global MHRA in stage 3. The one checkpoint is evaluated in
# three modes by the test configs beside this file (official zoo, 52M
# params, Google Drive file 13hOneJiFqwEneUz1Zpqo1W2uv7BsoXGF):
#   *_w32.py  windows ws32  46.6 mIoU (MS 48.4), 939G FLOPs
#   *_h32.py  hybrid ws32   47.0 mIoU (MS 48.5), 955G FLOPs
#   *_g.py    global        47.6 mIoU (MS 48.5), 1004G FLOPs
# The official test.sh uses h32.
_base_ = ['./_base_/upernet_uniformer.py']

pretrained = 'checkpoints/uniformer_small_in1k.pth'
model = dict(
    backbone=dict(
        arch='small',
        attn_mode='global',
        drop_path_rate=0.25,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
