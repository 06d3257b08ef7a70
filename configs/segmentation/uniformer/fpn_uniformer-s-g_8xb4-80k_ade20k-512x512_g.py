# Test config (official test_config_g) for the checkpoint of
# fpn_uniformer-s-g_8xb4-80k_ade20k-512x512.py:
# global attention in every stage-3 block (the training
# mode).
# Official zoo: 46.6 mIoU, 247G FLOPs.
# Usage: mim test mmseg <this file> --checkpoint <trained checkpoint>
_base_ = ['./fpn_uniformer-s-g_8xb4-80k_ade20k-512x512.py']

model = dict(backbone=dict(attn_mode='global'))
