# Test config (official test_config_w32) for the checkpoint of
# upernet_uniformer-s-g_8xb2-160k_ade20k-512x512.py:
# windowed attention (32x32 windows, zero padding, no
# mask) in every stage-3 block.
# Official zoo: 46.6 mIoU (MS 48.4), 939G FLOPs.
# Usage: mim test mmseg <this file> --checkpoint <trained checkpoint>
_base_ = ['./upernet_uniformer-s-g_8xb2-160k_ade20k-512x512.py']

model = dict(backbone=dict(attn_mode='window', window_size=32))
