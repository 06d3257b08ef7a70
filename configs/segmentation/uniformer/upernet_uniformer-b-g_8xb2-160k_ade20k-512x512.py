# UperNet + UniFormer-B on ADE20K 512x512, official
# semantic_segmentation/exp/upernet_global_base.
# Trained with global MHRA in stage 3. The one checkpoint is evaluated in
# three modes by the test configs beside this file (official zoo, 80M
# params, Google Drive file 14bEgmFbTijBoTKTwny_aCJlARs6z31mP):
#   *_w32.py  windows ws32  49.1 mIoU (MS 50.6), 1066G FLOPs
#   *_h32.py  hybrid ws32   49.5 mIoU (MS 50.7), 1106G FLOPs
#   *_g.py    global        50.0 mIoU (MS 50.8), 1227G FLOPs
# The official test.sh uses h32.
_base_ = ['./_base_/upernet_uniformer.py']

pretrained = 'checkpoints/uniformer_base_in1k.pth'
model = dict(
    backbone=dict(
        arch='base',
        attn_mode='global',
        drop_path_rate=0.4,
        # official checkpoint_num [0, 0, 2, 0]
        with_cp=(0, 0, 2, 0),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
