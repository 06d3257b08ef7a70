"""The weights table: every released UniFormer checkpoint by name.

One row per file: its name (the key of :data:`WEIGHTS`), file name, family,
arch, ``head_dim``, the row order of its classifier head, where it can be
downloaded and the shipped config that evaluates it. The metafiles
(``configs/*/uniformer/metafile.yml``, checked against this table by
``tests/test_checkpoint/test_weights.py``), the head_dim guard of the
adapter, the missing-pretrained message and the tools read it; nothing else
lists checkpoints.

The facts come from the official model zoo (Google Drive file ids), the
OpenMMLab mirrors already in the metafiles, and four files of the Hugging Face
repository ``Sense-X/uniformer_video``. A row holds only URLs known to exist;
size and sha256 are left ``None`` where they are not known.

File names: the official name where the official code, scripts or hub name
the file (``uniformer_small_in1k.pth``, ``uniformer_base_k400_16x4.pth``,
``uniformer_xxs_160_in1k.pth``, the hub files, the mirrors' names); for the
others (downstream and token-labeling files, whose Drive names the official
repository does not state) the official experiment name plus ``.pth``, e.g.
``mask_rcnn_1x_hybrid_small.pth``. That is the name the head_dim guard
recognises and the name a download is saved under.
"""
import difflib
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

FAMILIES = ('video', 'image', 'det', 'seg', 'pose', 'light_video',
            'light_image')
LABEL_ORDERS = ('official', 'mmaction')
_CONFIG_FOLDER = dict(video='recognition', light_video='recognition',
                      image='classification', light_image='classification',
                      det='detection',
                      seg='segmentation', pose='pose')
_HUB = 'hf://Sense-X/uniformer_video/'
_MMACTION = ('https://download.openmmlab.com/mmaction/v1.0/recognition/'
             'uniformerv1/')
_MMPOSE = 'https://download.openmmlab.com/mmpose/v1/projects/uniformer/'
# The official ImageNet folder (classic and light models): the per-file ids
# below are in it.
IMAGENET_FOLDER = ('https://drive.google.com/drive/folders/'
                   '1-sqWoelz3agOG74VkNwadY8RHR28o4Wv')


@dataclass(frozen=True)
class WeightsEntry:
    """One released checkpoint file.

    Args:
        name (str): key of :data:`WEIGHTS`, e.g.
            ``'uniformer_small_k400_16x8'``.
        filename (str): the file name (see the module docstring).
        family (str): one of :data:`FAMILIES`.
        arch (str): arch name in the one ``ARCH_ZOO`` (classic and light).
        head_dim (int): channels per attention head the file was trained
            with (changes no shape, so it must be known).
        label_order (str, optional): ``'official'`` (UniFormer's own class
            order), ``'mmaction'`` (MMAction2's label maps) or None (no
            classifier head).
        urls (tuple[str]): Google Drive file URLs, OpenMMLab mirror URLs
            and ``hf://<repo>/<file>`` references.
        config (str, optional): shipped config path relative to the
            repository root that evaluates the file. Defaults to None.
        size (int, optional): bytes, where known. Defaults to None.
        sha256 (str, optional): hex digest, where known. Defaults to None.
    """
    name: str
    filename: str
    family: str
    arch: str
    head_dim: int
    label_order: Optional[str]
    urls: Tuple[str, ...]
    config: Optional[str] = None
    size: Optional[int] = None
    sha256: Optional[str] = None


def _gd(file_id: str) -> str:
    return f'https://drive.google.com/file/d/{file_id}/view'


def _row(name, family, arch, head_dim, label_order, config, *urls,
         filename=None):
    if config is not None:
        config = (f'configs/{_CONFIG_FOLDER[family]}/uniformer/'
                  f'{config}.py')
    return WeightsEntry(name=name, filename=filename or name + '.pth',
                        family=family, arch=arch, head_dim=head_dim,
                        label_order=label_order, urls=tuple(urls),
                        config=config)


_ROWS = (
    # -- image --
    _row('uniformer_small_in1k', 'image', 'small', 64, 'official',
         'uniformer-small_8xb128_in1k',
         _gd('1-uepH3Q3BhTmWU6HK-sGAGQC_MpfIiPD')),
    _row('uniformer_small_plus', 'image', 'small_plus', 32, 'official',
         'uniformer-small-plus_8xb128_in1k',
         _gd('10IN5ULcjz0Ld_lDokkTGOSmRFXLzUkEs')),
    _row('uniformer_small_plus_dim64',
         'image', 'small_plus_dim64', 64, 'official',
         'uniformer-small-plus-dim64_8xb128_in1k',
         _gd('178ipRvMBKeAP_Fzy6fEr2HQkIQWdgEY6')),
    _row('uniformer_base_in1k', 'image', 'base', 64, 'official',
         'uniformer-base_8xb128_in1k',
         _gd('1-wT39QazTGELxgrQIu6J12D3qcla3hui')),
    _row('uniformer_base_ls', 'image', 'base_ls', 64, 'official',
         'uniformer-base-ls_8xb128_in1k',
         _gd('10FnwzMVgGL8bPO3EMZ7oG4vDvqnPoBK5')),
    _row('uniformer_small_tl_224', 'image', 'small', 32, 'official',
         'uniformer-small_tl_8xb128_in1k',
         _gd('16wjfeyqQFZ2x9W91EXf0Py1bfv4Fydfr')),
    _row('uniformer_small_plus_tl_224', 'image', 'small_plus', 32, 'official',
         'uniformer-small-plus_tl_8xb128_in1k',
         _gd('16rgtEVEeX3jVTQaiLsojBQP5sRaj_2aZ')),
    _row('uniformer_base_tl_224', 'image', 'base', 32, 'official',
         'uniformer-base_tl_8xb128_in1k',
         _gd('16nsTjawiYZuoCHBRarr58zA7vCFcmQmL')),
    _row('uniformer_large_ls_tl_224', 'image', 'large', 64, 'official',
         'uniformer-large-ls_tl_8xb128_in1k',
         _gd('173e2qaJhOwbuC_DbNQSH47Oo_04mSfDj')),
    _row('uniformer_small_dim64_tl_224', 'image', 'small', 64, 'official',
         'uniformer-small-dim64_tl_8xb128_in1k',
         _gd('17NC5qqAWCT2gI_jY_cJnFTOqRQTSwsoz')),
    _row('uniformer_small_plus_dim64_tl_224',
         'image', 'small_plus_dim64', 64, 'official',
         'uniformer-small-plus-dim64_tl_8xb128_in1k',
         _gd('17OfoDWt2_nA0BYN0OuLPpG8mHJDTluQQ')),
    _row('uniformer_base_dim64_tl_224', 'image', 'base', 64, 'official',
         'uniformer-base-dim64_tl_8xb128_in1k',
         _gd('17MneG9CnZG6zBvXYUr4WUXoTYc4rjJj5')),
    _row('uniformer_small_tl_384', 'image', 'small', 32, 'official',
         'uniformer-small_tl_8xb64_in1k-384px',
         _gd('16p4CXzuXC5J4_SJK67dsvnc8gTKmtKN1')),
    _row('uniformer_small_plus_tl_384', 'image', 'small_plus', 32, 'official',
         'uniformer-small-plus_tl_8xb64_in1k-384px',
         _gd('16wJT87vTc43Dt1q2sXrxZRUuEdrNdFdk')),
    _row('uniformer_base_tl_384', 'image', 'base', 32, 'official',
         'uniformer-base_tl_8xb64_in1k-384px',
         _gd('16kZlIarIwf9ldkCdHVKTQfFmDgfkucQ7')),
    _row('uniformer_large_ls_tl_384', 'image', 'large', 64, 'official',
         'uniformer-large-ls_tl_8xb32_in1k-384px',
         _gd('174rcA6rNzYVG9Ya9ik-NwTGoxW1M79ez')),
    # -- light_image (the light ImageNet models) --
    _row('uniformer_xxs_128_in1k', 'light_image', 'xxs', 28, 'official',
         'uniformer-light-xxs_8xb512_in1k-128px',
         _gd('1Cr7uB5hUck1BHioEROWZjfLpYRwg4Zps')),
    _row('uniformer_xxs_160_in1k', 'light_image', 'xxs', 28, 'official',
         'uniformer-light-xxs_8xb512_in1k-160px',
         _gd('1CsXCzfVFPyM2mY8BA_1fO3q_VBngnF44')),
    _row('uniformer_xxs_192_in1k', 'light_image', 'xxs', 28, 'official',
         'uniformer-light-xxs_8xb512_in1k-192px',
         _gd('1CjrCEnZCk2aLrN7nVG8vFvu3FAUL4_Y_')),
    _row('uniformer_xxs_224_in1k', 'light_image', 'xxs', 28, 'official',
         'uniformer-light-xxs_8xb512_in1k-224px',
         _gd('1Cw9r_3c30N-esFI8RFYa6rQXJrr1rAHY')),
    _row('uniformer_xs_192_in1k', 'light_image', 'xs', 32, 'official',
         'uniformer-light-xs_8xb512_in1k-192px',
         _gd('1Ce2Dk9-k_-sHt5dXp-gfNOEK37Jdcffv')),
    _row('uniformer_xs_224_in1k', 'light_image', 'xs', 32, 'official',
         'uniformer-light-xs_8xb512_in1k-224px',
         _gd('1CwQ91fjuAu3Rhn3zV4vjAmQ8v36AfYPT')),
    # -- video --
    _row('uniformer_base_k600_32x4', 'video', 'base', 64, 'official',
         'uniformer-base_imagenet1k-pre_32xb4-32x4x1-110e_kinetics600-rgb',
         _gd('1-DwdVf8w8lYj-iFpU40pfEpog9VE5PQB'),
         _HUB + 'uniformer_base_k600_32x4.pth'),
    _row('uniformer_base_k600_16x8', 'video', 'base', 64, 'official',
         'uniformer-base_imagenet1k-pre_8xb4-16x8x1-110e_kinetics600-rgb',
         _gd('1aidHdSd-h65-_EUkfNOdMMw0ZB8G5maY')),
    _row('uniformer_base_k400_32x4', 'video', 'base', 64, 'official',
         'uniformer-base_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb',
         _gd('1gHxx8cr1H0CNvngj1kB9ArgcPfJtqjCV')),
    _row('uniformer-base_imagenet1k-pre_32x4x1_kinetics400-rgb_'
         '20221219-b776322c',
         'video', 'base', 64, 'mmaction',
         'uniformer-base_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb',
         _MMACTION + (
             'uniformer-base_imagenet1k-pre_32x4x1_kinetics400-rgb_'
             '20221219-b776322c.pth')),
    _row('uniformer_base_k400_16x4', 'video', 'base', 64, 'official',
         'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics400-rgb',
         _gd('15ipzFaZdTt-aHv7jcr_h_vgYD2X7D6AD')),
    _row('uniformer-base_imagenet1k-pre_16x4x1_kinetics400-rgb_'
         '20221219-157c2e66',
         'video', 'base', 64, 'mmaction',
         'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics400-rgb',
         _MMACTION + (
             'uniformer-base_imagenet1k-pre_16x4x1_kinetics400-rgb_'
             '20221219-157c2e66.pth')),
    _row('uniformer_base_k600_16x4', 'video', 'base', 64, 'official',
         'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics600-rgb',
         _gd('1nBQCBCsCflhZ4OGUoGB3pAkc_GDau7vd')),
    _row('uniformer_base_k400_16x8', 'video', 'base', 64, 'official',
         'uniformer-base_imagenet1k-pre_8xb5-16x8x1-110e_kinetics400-rgb',
         _gd('1VoZcpFZbk9lEyRQ7gqRgT4CsnVt9g7uk')),
    _row('uniformer_base_k400_8x8', 'video', 'base', 64, 'official',
         'uniformer-base_imagenet1k-pre_8xb8-8x8x1-100e_kinetics400-rgb',
         _gd('1hBxGU-QE8hGRBjSNCymJ7Au06LhluvTv')),
    _row('uniformer_base_sthv2_32_prek400', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics400-pre_8xb4-u32-50e_sthv2-rgb',
         _gd('1-rpMARXnyvyj6YUJkIvVqtna86egpjoS')),
    _row('uniformer_base_sthv1_32_prek400', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics400-pre_8xb4-u32-60e_sthv1-rgb',
         _gd('18A3FuUUbdQ8ehMQ0D78qTTtm6YmIVWaO')),
    _row('uniformer_base_sthv2_16_prek400', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics400-pre_8xb5-u16-50e_sthv2-rgb',
         _gd('1s78JBpnykyJ7pYEGRDK8BZL9seIRIUlC')),
    _row('uniformer_base_sthv1_16_prek400', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics400-pre_8xb5-u16-60e_sthv1-rgb',
         _gd('1uMq4W5lf17vOHUmccNjYLeTMqaWHSh6v')),
    _row('uniformer_base_sthv2_32_prek600', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics600-pre_8xb4-u32-50e_sthv2-rgb',
         _gd('1-lkRB3546l_ECuObN_IrHws1C9a-qKPr'),
         _HUB + 'uniformer_base_sthv2_32_prek600.pth'),
    _row('uniformer_base_sthv1_32_prek600', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics600-pre_8xb4-u32-60e_sthv1-rgb',
         _gd('1xE1aJYAYFOlXOkpiIbJFHu_jSrr8reKm')),
    _row('uniformer_base_sthv2_16_prek600', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics600-pre_8xb5-u16-50e_sthv2-rgb',
         _gd('16nCBGWzMM8n8Vr_EY0UmvgzLG0S_QYef')),
    _row('uniformer_base_sthv1_16_prek600', 'video', 'base', 64, 'official',
         'uniformer-base_kinetics600-pre_8xb5-u16-60e_sthv1-rgb',
         _gd('1xpiL8zEDWYHFR55gOsbQiI41YEjTD89J')),
    _row('uniformer_small_k600_16x4', 'video', 'small', 64, 'official',
         'uniformer-small_imagenet1k-pre_8xb12-16x4x1-110e_kinetics600-rgb',
         _gd('1-dqzjm5RZVspWHQLRD4S1vo4_6jyVltb')),
    _row('uniformer_small_k400_8x8', 'video', 'small', 64, 'official',
         'uniformer-small_imagenet1k-pre_8xb16-8x8x1-100e_kinetics400-rgb',
         _gd('1-kitVTkWErHXI_x-sLItvK9-sOmb53j6')),
    _row('uniformer_small_k400_16x4', 'video', 'small', 64, 'official',
         'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb',
         _gd('1-jGZIIuTM5IYIpqkNTojhGhfMc7Gu9Kt')),
    _row('uniformer-small_imagenet1k-pre_16x4x1_kinetics400-rgb_'
         '20221219-c630a037',
         'video', 'small', 64, 'mmaction',
         'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb',
         _MMACTION + (
             'uniformer-small_imagenet1k-pre_16x4x1_kinetics400-rgb_'
             '20221219-c630a037.pth')),
    _row('uniformer_small_k400_16x8', 'video', 'small', 64, 'official',
         'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_kinetics400-rgb',
         _gd('174muWZJcZHieABDZMKiJ0tNeFLoEkJLx'),
         _HUB + 'uniformer_small_k400_16x8.pth'),
    _row('uniformer_small_k600_16x8', 'video', 'small', 64, 'official',
         'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_kinetics600-rgb',
         _gd('1-c835NJjg_015WxLBQF-1cPdQsyWMWfY'),
         _HUB + 'uniformer_small_k600_16x8.pth'),
    _row('uniformer_small_hmdb51_16x4_prek400',
         'video', 'small', 64, 'official',
         'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_hmdb51-split1-rgb',
         _gd('1Es4xtcEvQSomnbp6Eo7TC3JejIwHf5yS')),
    _row('uniformer_small_ucf101_16x4_prek400',
         'video', 'small', 64, 'official',
         'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_ucf101-split1-rgb',
         _gd('1Ey8JIGcP8G2H0bKxyNnD61lvHV1eerVt')),
    _row('uniformer_small_sthv2_16_prek400', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb',
         _gd('1-Wq22024HB7tT8kPX6eSMn2GUNMI-_gY')),
    _row('uniformer_small_sthv1_16_prek400', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics400-pre_8xb4-u16-60e_sthv1-rgb',
         _gd('1-bdFsmXt2Ztf43lrVgmqS8_VYJ8tub6J')),
    _row('uniformer_small_sthv2_32_prek400', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics400-pre_8xb4-u32-50e_sthv2-rgb',
         _gd('1-5Q5S-NRmHFkIBygaRYpJLT7aI9cpmky')),
    _row('uniformer_small_sthv1_32_prek400', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics400-pre_8xb4-u32-60e_sthv1-rgb',
         _gd('1-Y5ADssqM2C8o_1jix48fQM788mVGWQ3')),
    _row('uniformer_small_sthv2_16_prek600', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics600-pre_8xb4-u16-50e_sthv2-rgb',
         _gd('1-V1mQp4fIIYhaXUWCgZXkJ0H6ne0Z8rz')),
    _row('uniformer_small_sthv1_16_prek600', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics600-pre_8xb4-u16-60e_sthv1-rgb',
         _gd('1-YbYGjM15MDtQnrmCeZ9H2ybNdYTFkgO')),
    _row('uniformer_small_sthv2_32_prek600', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics600-pre_8xb4-u32-50e_sthv2-rgb',
         _gd('1-1K5R3Ed4t8d_DZnJ62xysIt1dBNmx96')),
    _row('uniformer_small_sthv1_32_prek600', 'video', 'small', 64, 'official',
         'uniformer-small_kinetics600-pre_8xb4-u32-60e_sthv1-rgb',
         _gd('1-XEgaGqXGp1EGzFl63ctApnvU54X27WP')),
    # -- light_video --
    _row('uniformer_xxs4_128_k400', 'light_video', 'xxs', 28, 'official',
         'uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u4-110e_'
         'kinetics400-128px-rgb',
         _gd('1EFBxDS2m4mpk_sYejnPuGSDRH_1ELDhx')),
    _row('uniformer_xxs4_160_k400', 'light_video', 'xxs', 28, 'official',
         'uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u4-110e_'
         'kinetics400-160px-rgb',
         _gd('1DtTFT7FZ_kUjxqXAYyWhfXSr_EIHQi8a')),
    _row('uniformer_xxs8_128_k400', 'light_video', 'xxs', 28, 'official',
         'uniformer-light-xxs_imagenet1k-128px-pre_4xb64-u8-110e_'
         'kinetics400-128px-rgb',
         _gd('1E9VwV-XJQCmo9nBhxLxa9DdphZiIg38z')),
    _row('uniformer_xxs8_160_k400', 'light_video', 'xxs', 28, 'official',
         'uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u8-110e_'
         'kinetics400-160px-rgb',
         _gd('1Dxq82X8mBsfVOzij0HSeb1g4sdez71FM')),
    _row('uniformer_xxs16_128_k400', 'light_video', 'xxs', 28, 'official',
         'uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u16-110e_'
         'kinetics400-128px-rgb',
         _gd('1DngSOmw0rStnYZlaCnz1xII6CU2d2R_j')),
    _row('uniformer_xxs16_160_k400', 'light_video', 'xxs', 28, 'official',
         'uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_'
         'kinetics400-160px-rgb',
         _gd('1DxqrNHb4h1ZKnEFaqbkKJAXQsyIFeD7b')),
    _row('uniformer_xxs32_160_k400', 'light_video', 'xxs', 28, 'official',
         'uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u32-110e_'
         'kinetics400-160px-rgb',
         _gd('1EIVXRYn5UIkLaJGDpTBxTcyog_dKbcZe')),
    _row('uniformer_xs32_192_k400', 'light_video', 'xs', 32, 'official',
         'uniformer-light-xs_imagenet1k-192px-pre_8xb16-u32-110e_'
         'kinetics400-192px-rgb',
         _gd('1DtdX-keSB-RkH23KqtQH36IMOUmol1kw')),
    # -- det --
    _row('mask_rcnn_1x_hybrid_small', 'det', 'small', 64, None,
         'mask-rcnn_uniformer-s-h14_fpn_1x_coco',
         _gd('13KhBYkHKQg-CyhAgn1LQM1K0R4bwSpWT')),
    _row('mask_rcnn_3x_ms_hybrid_small', 'det', 'small', 64, None,
         'mask-rcnn_uniformer-s-h14_fpn_amp-ms-crop-3x_coco',
         _gd('13O6P-spXbWuXgUjLw8AyRITYTwhdOwuD')),
    _row('mask_rcnn_1x_hybrid_base', 'det', 'base', 64, None,
         'mask-rcnn_uniformer-b-h14_fpn_1x_coco',
         _gd('13YrVEiqFraSuX1NzdhPnhw7bFXTvEii1')),
    _row('mask_rcnn_3x_ms_hybrid_base', 'det', 'base', 64, None,
         'mask-rcnn_uniformer-b-h14_fpn_amp-ms-crop-3x_coco',
         _gd('12xyS2xqFSYMkHUiVYVGVW7gaLIxuK2q6')),
    _row('cascade_mask_rcnn_3x_ms_hybrid_small', 'det', 'small', 64, None,
         'cascade-mask-rcnn_uniformer-s-h14_fpn_amp-ms-crop-3x_coco',
         _gd('13IhpRkh2hE8WfDyw-5-NXSUVZjn9DX20')),
    _row('cascade_mask_rcnn_3x_ms_hybrid_base', 'det', 'base', 64, None,
         'cascade-mask-rcnn_uniformer-b-h14_fpn_amp-ms-crop-3x_coco',
         _gd('13G9wc73CmS1Kb-kVelFSDlK-ezUBadzQ')),
    _row('mask_rcnn_1x_xxs', 'det', 'xxs', 28, None,
         'mask-rcnn_uniformer-light-xxs_fpn_1x_coco',
         _gd('1CUyS-hWbpLvOXHZ35n4BZPmiCbMXt0mc')),
    _row('mask_rcnn_1x_xs', 'det', 'xs', 32, None,
         'mask-rcnn_uniformer-light-xs_fpn_1x_coco',
         _gd('1CRHb-W5Csy_509J4Ux62TOT7dpixdsOi')),
    # -- seg --
    _row('fpn_hybrid_base', 'seg', 'base', 64, None,
         'fpn_uniformer-b-h14_8xb4-80k_ade20k-512x512',
         _gd('14XokJDp1oYDV9jZnniMXyk3AnVfk1S1-')),
    _row('fpn_global_small', 'seg', 'small', 64, None,
         'fpn_uniformer-s-g_8xb4-80k_ade20k-512x512',
         _gd('14bEsZqMw35tmDgrvYA_dRMsSC0Z4TX2Y')),
    _row('fpn_global_base', 'seg', 'base', 64, None,
         'fpn_uniformer-b-g_8xb4-80k_ade20k-512x512',
         _gd('14dLoIcAUWjyo1d5XXuo1yb2jcslt_t4P')),
    _row('upernet_global_small', 'seg', 'small', 64, None,
         'upernet_uniformer-s-g_8xb2-160k_ade20k-512x512',
         _gd('13hOneJiFqwEneUz1Zpqo1W2uv7BsoXGF')),
    _row('upernet_global_base', 'seg', 'base', 64, None,
         'upernet_uniformer-b-g_8xb2-160k_ade20k-512x512',
         _gd('14bEgmFbTijBoTKTwny_aCJlARs6z31mP')),
    _row('fpn_xxs', 'seg', 'xxs', 28, None,
         'fpn_uniformer-light-xxs_8xb4-80k_ade20k-512x512',
         _gd('1DPakdzr6G7n8t3_ZAFCx8wFX1r5h_V7-')),
    _row('fpn_xs', 'seg', 'xs', 32, None,
         'fpn_uniformer-light-xs_8xb4-80k_ade20k-512x512',
         _gd('1Dj3GiQLK7YZPKSgz_Uk8JL1J66XEvw0Y')),
    # -- pose --
    _row('top_down_256x192_global_small', 'pose', 'small', 64, None,
         'td-hm_uniformer-s_8xb128-210e_coco-256x192',
         _gd('162R0JuTpf3gpLe1IK6oxRoQK7JSj4ylx')),
    _row('top_down_256x192_global_small-d4a7fdac_20230724',
         'pose', 'small', 64, None,
         'td-hm_uniformer-s_8xb128-210e_coco-256x192',
         _MMPOSE + 'top_down_256x192_global_small-d4a7fdac_20230724.pth'),
    _row('top_down_384x288_global_small', 'pose', 'small', 64, None,
         'td-hm_uniformer-s_8xb128-210e_coco-384x288',
         _gd('163vuFkpcgVOthC05jCwjGzo78Nr0eikW')),
    _row('top_down_384x288_global_small-7a613f78_20230724',
         'pose', 'small', 64, None,
         'td-hm_uniformer-s_8xb128-210e_coco-384x288',
         _MMPOSE + 'top_down_384x288_global_small-7a613f78_20230724.pth'),
    _row('top_down_448x320_global_small', 'pose', 'small', 64, None,
         'td-hm_uniformer-s_8xb64-210e_coco-448x320',
         _gd('165nQRsT58SXJegcttksHwDn46Fme5dGX')),
    _row('top_down_448x320_global_small-18b760de_20230724',
         'pose', 'small', 64, None,
         'td-hm_uniformer-s_8xb64-210e_coco-448x320',
         _MMPOSE + 'top_down_448x320_global_small-18b760de_20230724.pth'),
    _row('top_down_256x192_global_base', 'pose', 'base', 64, None,
         'td-hm_uniformer-b_8xb128-210e_coco-256x192',
         _gd('15tzJaRyEzyWp2mQhpjDbBzuGoyCaJJ-2')),
    _row('top_down_256x192_global_base-1713bcd4_20230724',
         'pose', 'base', 64, None,
         'td-hm_uniformer-b_8xb128-210e_coco-256x192',
         _MMPOSE + 'top_down_256x192_global_base-1713bcd4_20230724.pth'),
    _row('top_down_384x288_global_base', 'pose', 'base', 64, None,
         'td-hm_uniformer-b_8xb32-210e_coco-384x288',
         _gd('15qtUaOR_C7-vooheJE75mhA9oJQt3gSx')),
    _row('top_down_384x288_global_base-c650da38_20230724',
         'pose', 'base', 64, None,
         'td-hm_uniformer-b_8xb32-210e_coco-384x288',
         _MMPOSE + 'top_down_384x288_global_base-c650da38_20230724.pth'),
    _row('top_down_448x320_global_base', 'pose', 'base', 64, None,
         'td-hm_uniformer-b_8xb32-210e_coco-448x320',
         _gd('156iNxetiCk8JJz41aFDmFh9cQbCaMk3D')),
    _row('top_down_448x320_global_base-a05c185f_20230724',
         'pose', 'base', 64, None,
         'td-hm_uniformer-b_8xb32-210e_coco-448x320',
         _MMPOSE + 'top_down_448x320_global_base-a05c185f_20230724.pth'),

)
WEIGHTS: Dict[str, WeightsEntry] = {entry.name: entry for entry in _ROWS}
_BY_FILENAME: Dict[str, WeightsEntry] = {
    entry.filename: entry for entry in _ROWS}


def get_weights(name: str) -> WeightsEntry:
    """The entry called ``name`` (a ``.pth`` suffix is ignored).

    Args:
        name (str): a key of :data:`WEIGHTS`, e.g.
            ``'uniformer_small_k400_16x8'``.

    Raises:
        KeyError: for an unknown name, listing the closest names.
    """
    key = name[:-4] if name.endswith('.pth') else name
    if key in WEIGHTS:
        return WEIGHTS[key]
    close = difflib.get_close_matches(key, list(WEIGHTS), n=5, cutoff=0.5)
    raise KeyError(f'no released UniFormer checkpoint is called {name!r}'
                   + (f'; close names: {close}' if close else '')
                   + f' ({len(WEIGHTS)} names in '
                   'mmuniformer.checkpoint.weights.WEIGHTS)')


def entry_for_file(filename) -> Optional[WeightsEntry]:
    """The entry whose file name is the base name of ``filename``, or None.

    Args:
        filename (str): a path or URL.
    """
    if not filename:
        return None
    return _BY_FILENAME.get(osp.basename(str(filename).split('?')[0]))


def entries_for_config(config: str) -> Tuple[WeightsEntry, ...]:
    """Every file the shipped ``config`` (path relative to the repository
    root) evaluates: the official file and, where there is one, its
    OpenMMLab conversion."""
    return tuple(e for e in _ROWS if e.config == config)
