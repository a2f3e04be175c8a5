#!/usr/bin/python3
"""Export a torchvision ImageNet DenseNet (121/161/169/201) to ONNX for the densenet C tool.

    export_torchvision.py [--arch densenet121|densenet161|densenet169|densenet201]
                          [--random-weights] [--seed N] [--opset N] [--dynamic-batch]
                          [--size H W] -o OUT.onnx

By default the pretrained ImageNet weights (torchvision's DEFAULT weights enum) are
used; torchvision downloads them on first use, which needs network access.  With
--random-weights no download happens: the model keeps torchvision's own init and
then every BatchNorm gets seeded, non-trivial parameters and running statistics
(running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5), weight ~ U(0.5, 1.5),
bias ~ N(0, 0.1)) so that BatchNorm matters numerically when comparing runtimes.

The graph input is "input" [N,3,H,W] (H,W = --size, default 224 224; N is 1 unless
--dynamic-batch), the output is "logits" [N,1000].  metadata_props get the
weights' own preprocessing (transforms(): resize 256, crop 224, ImageNet mean/std)
and category list under the densenet.* keys the C tool reads:
densenet.labels (joined with "\\n"), densenet.resize, densenet.crop, densenet.mean,
densenet.std (comma separated per channel), densenet.gray ("0"), densenet.dataset.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no OpenMP spin-waiting on a shared CPU

import argparse
import sys

import torch
import torchvision

ARCHS = {
    "densenet121": "DenseNet121_Weights",
    "densenet161": "DenseNet161_Weights",
    "densenet169": "DenseNet169_Weights",
    "densenet201": "DenseNet201_Weights",
}


def fmt(v):
    return "%g" % v


def randomize_bn(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)


def main():
    ap = argparse.ArgumentParser(description="Export a torchvision DenseNet to ONNX with densenet.* metadata")
    ap.add_argument("--arch", choices=sorted(ARCHS), default="densenet121")
    ap.add_argument("--random-weights", action="store_true",
                    help="no download: torchvision init + seeded non-trivial BatchNorm statistics")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--dynamic-batch", action="store_true", help="make the batch axis dynamic")
    ap.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), default=(224, 224),
                    help="input height and width of the exported graph (default 224 224)")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    weights_enum = getattr(torchvision.models, ARCHS[args.arch])
    weights = weights_enum.DEFAULT
    ctor = getattr(torchvision.models, args.arch)

    if args.random_weights:
        model = ctor(weights=None)
        randomize_bn(model, args.seed)
    else:
        try:
            model = ctor(weights=weights)
        except Exception as e:
            print("error: could not get the pretrained %s weights (%s: %s).\n"
                  "This needs network access to download %s.\n"
                  "Use --random-weights for a download-free model with the same graph, or use the\n"
                  "ONNX model zoo's densenet-12 file (densenet121) instead."
                  % (args.arch, type(e).__name__, e, weights.url), file=sys.stderr)
            return 2
    model.eval()

    # The weights' own preprocessing and categories (same for both modes).
    tf = weights.transforms()
    categories = weights.meta["categories"]
    resize = tf.resize_size[0] if isinstance(tf.resize_size, (list, tuple)) else tf.resize_size
    crop = tf.crop_size[0] if isinstance(tf.crop_size, (list, tuple)) else tf.crop_size

    h, w = args.size
    dummy = torch.randn(1, 3, h, w)
    dyn = {"input": {0: "N"}, "logits": {0: "N"}} if args.dynamic_batch else None
    torch.onnx.export(model, dummy, args.output, opset_version=args.opset,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes=dyn, do_constant_folding=True)

    import onnx
    m = onnx.load(args.output)
    props = {
        "densenet.labels": "\n".join(categories),
        "densenet.resize": str(resize),
        "densenet.crop": str(crop),
        "densenet.mean": ",".join(fmt(v) for v in tf.mean),
        "densenet.std": ",".join(fmt(v) for v in tf.std),
        "densenet.gray": "0",
        "densenet.dataset": "ImageNet-1k",
        "densenet.weights": ("random (torchvision init, seed %d, randomized BatchNorm)" % args.seed
                             if args.random_weights else str(weights)),
    }
    del m.metadata_props[:]
    for k, v in props.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    m.doc_string = "torchvision %s (%s) exported by models/export_torchvision.py" % (
        args.arch, "random weights" if args.random_weights else str(weights))
    onnx.checker.check_model(m)
    onnx.save(m, args.output)
    print("wrote %s (%d bytes, opset %d, input [%s,3,%d,%d])" % (
        args.output, os.path.getsize(args.output), args.opset,
        "N" if args.dynamic_batch else "1", h, w), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
