"""Convert an official MobileNeXt checkpoint (yitu-opensource/MobileNeXt
``mnext.py``, e.g. ``mnext.pth.tar``) to mmattn's MobileNeXt layout.

The keys are mapped by
:func:`~mmattn.models.backbones.mobilenext.convert_mobilenext`, the mapping
``MobileNeXt.init_weights`` uses; the file is read with the safe loader. The
classifier is left out, the result checked strictly against a
``MobileNeXt`` of ``--widen-factor`` and written as ``{'state_dict': ...}``
in fp32. As for MobileNetV2, converting is optional: ``init_cfg=
dict(type='Pretrained', checkpoint=SRC)`` loads the official file as it is.

Example::

    python tools/model_converters/mobilenext2mmattn.py mnext.pth.tar \\
        pretrain/mobilenext_in1k.pth
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from mobilenet2mmattn import convert, summary  # noqa: E402

from mmattn.checkpoint import load_state_dict_file  # noqa: E402
from mmattn.models.backbones import MobileNeXt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official MobileNeXt checkpoint')
    parser.add_argument('dst', help='output path')
    parser.add_argument('--widen-factor', type=float, default=1.,
                        help='width multiplier of the weights')
    args = parser.parse_args()
    model, state_dict = convert(
        load_state_dict_file(args.src), args.dst,
        lambda sd: MobileNeXt(widen_factor=args.widen_factor, out_indices=7),
        repr(args.src))
    print(summary(args.dst, model, state_dict))


if __name__ == '__main__':
    main()
