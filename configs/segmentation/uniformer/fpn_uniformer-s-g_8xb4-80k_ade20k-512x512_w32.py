# Test config (official test_config_w32) for the checkpoint of
# fpn_uniformer-s-g_8xb4-80k_ade20k-512x512.py:
# windowed attention (32x32 windows, zero padding, no
# mask) in every stage-3 block.
# Official zoo: 45.6 mIoU, 183G FLOPs.
# Usage: mim test mmseg <this file> --checkpoint <trained checkpoint>
_base_ = ['./fpn_uniformer-s-g_8xb4-80k_ade20k-512x512.py']

model = dict(backbone=dict(attn_mode='window', window_size=32))
