#!/usr/bin/python3
"""Evaluate densenet-fmnist.onnx in PyTorch on the 10,000 Fashion-MNIST test images.

Prints one JSON line: {"images": N, "top1": percent, "top5": percent}.

How the ONNX weights get back into PyTorch (engine "module", the default):
the model was exported with do_constant_folding=True in eval mode, so the torch
exporter kept the parameter names of the state dict (features.*.norm1.weight,
classifier.bias, ...) except where it fused a BatchNorm into the Conv right
before it (features.conv0 + features.norm0, and every denselayer's conv1 + norm2);
those Convs carry fused weight + bias initializers with generated names.  This
script reads every Conv / BatchNormalization / Gemm node, takes the module path
from the node name (/features/denseblock1/denselayer1/conv1/Conv ->
features.denseblock1.denselayer1.conv1), infers the architecture (growth rate,
block config, init features, bn_size) from the weight shapes, builds a fresh
torchvision DenseNet with models/train_fmnist.py's build_model(), and loads the
weights; for a fused pair the conv gets the fused weight and the following
BatchNorm becomes an exact "add bias" (weight 1, bias b, mean 0, var 1-eps).

Engine "graph" instead executes the ONNX graph node by node with torch ops (a
small interpreter for the ops in this file); "both" runs the two and also
reports the largest logit difference between them on stderr.

Usage:
    /usr/bin/python3 models/eval_fmnist_torch.py [models/densenet-fmnist.onnx]
           [--engine module|graph|both] [--limit N]
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no OpenMP spin-waiting on a shared CPU

import argparse
import json
import re
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train_fmnist import build_model, load_split, to_input, DATA_DIR  # noqa: E402

FUSED_NEXT_BN = {"conv0": "norm0", "conv1": "norm2"}  # torchvision DenseNet conv -> following BN


def tensors_of(model):
    """name -> numpy array for initializers, Constant outputs and Identity aliases."""
    t = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant":
            t[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        elif n.op_type == "Identity" and n.input[0] in t:
            t[n.output[0]] = t[n.input[0]]
    return t


def module_path(node):
    name = node.name or node.output[0]
    parts = [p for p in name.split("/") if p]
    if len(parts) < 2:
        raise ValueError("cannot get a module path from node %r" % name)
    return ".".join(parts[:-1])


def rebuild_module(model):
    t = tensors_of(model)
    sd = {}
    fused = []
    for n in model.graph.node:
        if n.op_type == "Conv":
            path = module_path(n)
            sd[path + ".weight"] = t[n.input[1]]
            if len(n.input) > 2 and n.input[2]:
                fused.append((path, t[n.input[2]]))
        elif n.op_type == "BatchNormalization":
            path = module_path(n)
            eps = next((a.f for a in n.attribute if a.name == "epsilon"), 1e-5)
            if abs(eps - 1e-5) > 1e-9:
                raise ValueError("%s: unexpected epsilon %g" % (path, eps))
            for key, inp in zip(("weight", "bias", "running_mean", "running_var"), n.input[1:5]):
                sd["%s.%s" % (path, key)] = t[inp]
        elif n.op_type == "Gemm":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            w = t[n.input[1]]
            sd["classifier.weight"] = w if attrs.get("transB", 0) else w.T
            sd["classifier.bias"] = t[n.input[2]]
    for path, bias in fused:  # conv + BN fused by the exporter
        prefix, conv = path.rsplit(".", 1)
        bn = prefix + "." + FUSED_NEXT_BN[conv]
        c = bias.shape[0]
        sd[bn + ".weight"] = np.ones(c, np.float32)
        sd[bn + ".bias"] = bias
        sd[bn + ".running_mean"] = np.zeros(c, np.float32)
        sd[bn + ".running_var"] = np.full(c, 1.0 - 1e-5, np.float32)

    # architecture from the shapes
    init_features = sd["features.conv0.weight"].shape[0]
    blocks = []
    for b in range(1, 10):
        layers = {int(m.group(1)) for k in sd for m in [re.match(r"features\.denseblock%d\.denselayer(\d+)\." % b, k)] if m}
        if not layers:
            break
        blocks.append(max(layers))
    growth = sd["features.denseblock1.denselayer1.conv2.weight"].shape[0]
    bn_size = sd["features.denseblock1.denselayer1.conv1.weight"].shape[0] // growth
    num_classes = sd["classifier.weight"].shape[0]
    net = build_model(growth, tuple(blocks), init_features, bn_size, num_classes)
    want = {k for k in net.state_dict() if not k.endswith("num_batches_tracked")}
    missing, extra = want - set(sd), set(sd) - want
    if missing or extra:
        raise ValueError("state dict mismatch: missing %s extra %s" % (sorted(missing)[:5], sorted(extra)[:5]))
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in sd.items()}, strict=False)
    net.eval()
    arch = dict(growth_rate=growth, block_config=tuple(blocks), num_init_features=init_features,
                bn_size=bn_size, num_classes=num_classes)
    return net, arch


class GraphRunner:
    """Executes the ONNX graph with torch ops (only the ops torch.onnx emits for DenseNet)."""

    def __init__(self, model):
        self.g = model.graph
        self.t = {k: torch.from_numpy(np.array(v)) for k, v in tensors_of(model).items()}

    def __call__(self, x):
        env = dict(self.t)
        env[self.g.input[0].name] = x
        for n in self.g.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
            i = [env[k] if k else None for k in n.input]
            op = n.op_type
            if op in ("Constant",) or (op == "Identity" and n.output[0] in env):
                continue
            if op == "Identity":
                y = i[0]
            elif op == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                if p[0] != p[2] or p[1] != p[3]:
                    raise NotImplementedError("asymmetric conv pads")
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a.get("strides", [1, 1]),
                             p[:2], a.get("dilations", [1, 1]), a.get("group", 1))
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = F.relu(i[0])
            elif op in ("MaxPool", "AveragePool"):
                p = a.get("pads", [0, 0, 0, 0])
                if p[0] != p[2] or p[1] != p[3]:
                    raise NotImplementedError("asymmetric pool pads")
                if op == "MaxPool":
                    y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides"), p[:2],
                                     ceil_mode=bool(a.get("ceil_mode", 0)))
                else:
                    y = F.avg_pool2d(i[0], a["kernel_shape"], a.get("strides"), p[:2],
                                     ceil_mode=bool(a.get("ceil_mode", 0)),
                                     count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "Pad":
                pads = i[1].tolist()
                if a.get("mode", b"constant") not in (b"constant", "constant"):
                    raise NotImplementedError("Pad mode")
                nd = len(pads) // 2
                tp = []
                for d in reversed(range(nd)):
                    tp += [pads[d], pads[d + nd]]
                val = float(i[2]) if len(i) > 2 and i[2] is not None else 0.0
                y = F.pad(i[0], tp, value=val) if any(tp) else i[0]
            elif op == "Concat":
                y = torch.cat(i, dim=a["axis"])
            elif op == "GlobalAveragePool":
                y = i[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                ax = a.get("axis", 1)
                y = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
            elif op == "Gemm":
                A, B = i[0], i[1]
                if a.get("transA", 0):
                    A = A.t()
                if a.get("transB", 0):
                    B = B.t()
                y = a.get("alpha", 1.0) * (A @ B)
                if len(i) > 2 and i[2] is not None:
                    y = y + a.get("beta", 1.0) * i[2]
            else:
                raise NotImplementedError("op %s" % op)
            env[n.output[0]] = y
        return env[self.g.output[0].name]


def sample_name(label):
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + ".png"


def write_samples(runner, x, y, out_dir, min_prob):
    from PIL import Image
    from train_fmnist import LABELS
    os.makedirs(out_dir, exist_ok=True)
    for c, label in enumerate(LABELS):
        idx = int(np.nonzero(y == c)[0][0])  # first test image of this class
        with torch.no_grad():
            p = torch.softmax(runner(to_input(x[idx:idx + 1])), dim=1)[0]
        ok = int(p.argmax()) == c and float(p[c]) >= min_prob
        path = os.path.join(out_dir, sample_name(label))
        print("%-12s test index %5d  p=%.4f  %s" % (label, idx, float(p[c]),
                                                    ("-> " + path) if ok else "skipped"), file=sys.stderr)
        if ok:
            Image.fromarray(np.array(x[idx], dtype=np.uint8), mode="L").save(path)


def main():
    ap = argparse.ArgumentParser(description="Fashion-MNIST test accuracy of an ONNX DenseNet, in PyTorch")
    ap.add_argument("model", nargs="?", default=os.path.join(HERE, "densenet-fmnist.onnx"))
    ap.add_argument("--engine", choices=("module", "graph", "both"), default="module")
    ap.add_argument("--data-dir", default=DATA_DIR)
    ap.add_argument("--limit", type=int, default=0, help="only the first N test images")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--write-samples", metavar="DIR", default="",
                    help="also write the first test image of each class that the model gets right "
                         "with probability >= --min-prob as DIR/<class-name>.png (28x28 8-bit gray)")
    ap.add_argument("--min-prob", type=float, default=0.9)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    model = onnx.load(args.model)
    onnx.checker.check_model(model)
    x, y = load_split("test", args.data_dir)
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]

    runners = []
    if args.engine in ("module", "both"):
        net, arch = rebuild_module(model)
        print("rebuilt torchvision DenseNet %s" % arch, file=sys.stderr)
        runners.append(net)
    if args.engine in ("graph", "both"):
        runners.append(GraphRunner(model))

    top1 = top5 = 0
    maxdiff = 0.0
    with torch.no_grad():
        for s in range(0, len(y), args.batch):
            inp = to_input(x[s:s + args.batch])
            outs = [r(inp) for r in runners]
            if len(outs) == 2:
                maxdiff = max(maxdiff, (outs[0] - outs[1]).abs().max().item())
            t = torch.from_numpy(y[s:s + args.batch])
            top = outs[0].topk(5, dim=1).indices
            top1 += (top[:, 0] == t).sum().item()
            top5 += (top == t[:, None]).any(dim=1).sum().item()
    if len(runners) == 2:
        print("max |logit(module) - logit(graph)| = %.3g" % maxdiff, file=sys.stderr)
    if args.write_samples:
        write_samples(runners[0], x, y, args.write_samples, args.min_prob)
    meta = {p.key: p.value for p in model.metadata_props}
    if "densenet.test_top1" in meta:
        print("metadata densenet.test_top1 = %s" % meta["densenet.test_top1"], file=sys.stderr)
    print(json.dumps({"images": len(y), "top1": round(100.0 * top1 / len(y), 2),
                      "top5": round(100.0 * top5 / len(y), 2)}))


if __name__ == "__main__":
    main()
