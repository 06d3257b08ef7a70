# Test config (official test_config_h32) for the checkpoint of
# fpn_uniformer-b-g_8xb4-80k_ade20k-512x512.py:
# hybrid attention: stage-3 blocks 3, 7, 11, ... global,
# the others in 32x32 windows.
# Official zoo: 47.7 mIoU, 350G FLOPs.
# Usage: mim test mmseg <this file> --checkpoint <trained checkpoint>
_base_ = ['./fpn_uniformer-b-g_8xb4-80k_ade20k-512x512.py']

model = dict(backbone=dict(attn_mode='hybrid', window_size=32))
