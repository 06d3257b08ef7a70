# Headline recipe: UniFormer-B, 16 frames, Something-Something V2 (official
# uniformer_b16_sthv2_prek400). Usage:
#   mim train mmaction configs/recognition/uniformer_b_sthv2.py
_base_ = ['./uniformer/uniformer-base_kinetics400-pre_8xb5-u16-50e_sthv2-rgb.py']
