#!/usr/bin/python3
"""Train a compact torchvision DenseNet-BC on Fashion-MNIST and export it to ONNX.

The network is torchvision's own ``torchvision.models.DenseNet`` class with the
ImageNet stem (7x7/2 conv + 3x3/2 max-pool) replaced by a 3x3/1 conv on one
input channel and a 2x2/2 max-pool (``features.conv0`` / ``features.pool0``;
``norm0`` / ``relu0`` are kept).  Data: Debian's ``dataset-fashion-mnist``
package (gzipped IDX files, read here with numpy; nothing is downloaded).

Preprocessing is exactly what the C tool does on a 28x28 grayscale PNG:
x = pixel / 255, then (x - 0.2860) / 0.3530; no resize, no crop.
Training augmentation: random horizontal flip, random 28x28 crop of the image
zero-padded (in pixel space, i.e. black) by 2 pixels on each side.

Everything is seeded and the data order is fixed, so a rerun on the same
machine with the same thread count gives the same weights.

Usage:
    /usr/bin/python3 models/train_fmnist.py -o models/densenet-fmnist.onnx
    /usr/bin/python3 models/train_fmnist.py --benchmark 50   # time 50 steps only
"""
import os

# Passive OpenMP waiting: with the default spin-waiting, two torch threads on a CPU
# shared with other jobs slowed down 5-7x (measured).  Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import gzip
import json
import math
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

DATA_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN = 0.2860
STD = 0.3530


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data
def read_idx(path):
    """Read a (gzipped) IDX file into a numpy array (big-endian header)."""
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError("%s: size mismatch" % path)
    return arr.reshape(dims)


def load_split(split, data_dir=DATA_DIR):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % prefix))
    y = read_idx(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % prefix))
    return x, y.astype(np.int64)


def to_input(x_uint8):
    """uint8 [N,28,28] -> normalized float tensor [N,1,28,28] (the C tool's math)."""
    x = torch.from_numpy(np.array(x_uint8)).float().div_(255.0)
    return x.sub_(MEAN).div_(STD).unsqueeze(1)


def augment(xb, gen):
    """xb: float [B,28,28] in [0,1]. Random h-flip + random crop with 2px zero padding."""
    b = xb.shape[0]
    flip = torch.rand(b, generator=gen) < 0.5
    xb = torch.where(flip[:, None, None], xb.flip(2), xb)
    padded = F.pad(xb, (2, 2, 2, 2))  # zeros = black pixels, as torchvision RandomCrop
    oy = torch.randint(0, 5, (b,), generator=gen)
    ox = torch.randint(0, 5, (b,), generator=gen)
    ar = torch.arange(28)
    rows = (oy[:, None] + ar)[:, :, None]      # [B,28,1]
    cols = (ox[:, None] + ar)[:, None, :]      # [B,1,28]
    return padded[torch.arange(b)[:, None, None], rows, cols]


# ---------------------------------------------------------------- model
def build_model(growth_rate=12, block_config=(6, 6, 6), num_init_features=24,
                bn_size=4, num_classes=10):
    m = torchvision.models.DenseNet(growth_rate=growth_rate, block_config=tuple(block_config),
                                    num_init_features=num_init_features, bn_size=bn_size,
                                    drop_rate=0, num_classes=num_classes)
    m.features.conv0 = nn.Conv2d(1, num_init_features, kernel_size=3, stride=1, padding=1, bias=False)
    nn.init.kaiming_normal_(m.features.conv0.weight)  # same init torchvision uses for convs
    m.features.pool0 = nn.MaxPool2d(kernel_size=2, stride=2)
    return m


@torch.no_grad()
def evaluate(model, x_uint8, y, batch=500):
    model.eval()
    top1 = top5 = 0
    for i in range(0, len(y), batch):
        logits = model(to_input(x_uint8[i:i + batch]))
        t = torch.from_numpy(y[i:i + batch])
        top = logits.topk(5, dim=1).indices
        top1 += (top[:, 0] == t).sum().item()
        top5 += (top == t[:, None]).any(dim=1).sum().item()
    return top1 / len(y), top5 / len(y)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        torch.use_deterministic_algorithms(True)
    except Exception as e:  # pragma: no cover
        log("warning: deterministic algorithms unavailable:", e)


# ---------------------------------------------------------------- export
def export_onnx(model, path, test_top1, opset=13):
    import onnx
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(model, dummy, path, opset_version=opset,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True)
    m = onnx.load(path)
    props = {
        "densenet.labels": "\n".join(LABELS),
        "densenet.resize": "28",
        "densenet.crop": "28",
        "densenet.mean": "%.4f" % MEAN,
        "densenet.std": "%.4f" % STD,
        "densenet.gray": "1",
        "densenet.dataset": "Fashion-MNIST",
        "densenet.test_top1": "%.2f" % (100.0 * test_top1),
    }
    del m.metadata_props[:]
    for k, v in props.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    m.doc_string = ("Compact torchvision DenseNet-BC (3x3 stem, 1-channel 28x28 input) "
                    "trained on Fashion-MNIST by models/train_fmnist.py")
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return os.path.getsize(path)


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                           "densenet-fmnist.onnx"))
    ap.add_argument("--data-dir", default=DATA_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=18)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--weight-decay", type=float, default=5e-4, help="for conv and linear weights")
    ap.add_argument("--bn-weight-decay", type=float, default=0.0,
                    help="for BatchNorm weights/biases and the classifier bias")
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--growth-rate", type=int, default=12)
    ap.add_argument("--blocks", default="6,6,6", help="block_config, comma separated")
    ap.add_argument("--init-features", type=int, default=24)
    ap.add_argument("--bn-size", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=3, help="evaluate on the test set every N epochs")
    ap.add_argument("--benchmark", type=int, default=0, help="only time N training steps and exit")
    ap.add_argument("--record", default="", help="write a training record (.txt) here")
    ap.add_argument("--save-state", default="", help="also save the PyTorch state_dict here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    blocks = tuple(int(b) for b in args.blocks.split(","))

    xtr, ytr = load_split("train", args.data_dir)
    xte, yte = load_split("test", args.data_dir)
    log("train %s test %s; train mean %.4f std %.4f (using %.4f/%.4f)" % (
        xtr.shape, xte.shape, xtr.mean() / 255, (xtr / 255.0).std(), MEAN, STD))

    model = build_model(args.growth_rate, blocks, args.init_features, args.bn_size)
    nparams = sum(p.numel() for p in model.parameters())
    log("model: DenseNet growth=%d blocks=%s init=%d bn_size=%d params=%d" % (
        args.growth_rate, blocks, args.init_features, args.bn_size, nparams))

    decay = [p for p in model.parameters() if p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": args.bn_weight_decay}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = len(ytr) // args.batch_size  # drop last partial batch
    total_steps = steps_per_epoch * args.epochs
    warmup = int(args.warmup_epochs * steps_per_epoch)

    def lr_at(step):  # linear warmup then cosine to 0, per step
        if step < warmup:
            return args.lr * (step + 1) / warmup
        t = (step - warmup) / max(1, total_steps - warmup)
        return args.lr * 0.5 * (1.0 + math.cos(math.pi * t))

    crit = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    gen = torch.Generator().manual_seed(args.seed)  # data order + augmentation
    xtr_f = torch.from_numpy(np.array(xtr)).float().div_(255.0)
    ytr_t = torch.from_numpy(np.array(ytr))

    t_start = time.time()
    step = 0
    history = []
    for epoch in range(args.epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(ytr), generator=gen)
        loss_sum = correct = seen = 0
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch_size:(i + 1) * args.batch_size]
            xb = augment(xtr_f[idx], gen).sub_(MEAN).div_(STD).unsqueeze(1)
            yb = ytr_t[idx]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            out = model(xb)
            loss = crit(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(yb)
            correct += (out.argmax(1) == yb).sum().item()
            seen += len(yb)
            if args.benchmark and step >= args.benchmark:
                dt = time.time() - t0
                log("benchmark: %d steps in %.1fs -> %.3fs/step, est. %.1fs/epoch (%d steps)" % (
                    step, dt, dt / step, dt / step * steps_per_epoch, steps_per_epoch))
                t1 = time.time()
                evaluate(model, xte, yte)
                log("eval on 10k test images: %.1fs" % (time.time() - t1))
                return
        train_time = time.time() - t0
        msg = "epoch %d/%d lr %.4f loss %.4f train_acc %.4f time %.1fs" % (
            epoch + 1, args.epochs, lr_at(step - 1), loss_sum / seen, correct / seen, train_time)
        if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
            t1, t5 = evaluate(model, xte, yte)
            msg += " test_top1 %.4f test_top5 %.4f" % (t1, t5)
            history.append((epoch + 1, t1, t5))
        log(msg + " (elapsed %.1f min)" % ((time.time() - t_start) / 60))
    total = time.time() - t_start

    top1, top5 = evaluate(model, xte, yte)
    log("final test top1 %.4f top5 %.4f; training took %.1f min" % (top1, top5, total / 60))
    if args.save_state:
        torch.save(model.state_dict(), args.save_state)
    size = export_onnx(model, args.output, top1)
    log("wrote %s (%d bytes)" % (args.output, size))

    if args.record:
        cmd = "/usr/bin/python3 " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:])
        with open(args.record, "w") as f:
            f.write("densenet-fmnist.onnx training record\n")
            f.write("command: %s\n" % cmd)
            f.write("torch %s, torchvision %s, threads %d, CPU only\n" % (
                torch.__version__, torchvision.__version__, args.threads))
            f.write("model: torchvision.models.DenseNet(growth_rate=%d, block_config=%s, "
                    "num_init_features=%d, bn_size=%d, num_classes=10), conv0 -> Conv2d(1,%d,3,1,1), "
                    "pool0 -> MaxPool2d(2,2); %d parameters\n" % (
                        args.growth_rate, blocks, args.init_features, args.bn_size,
                        args.init_features, nparams))
            f.write("data: Debian dataset-fashion-mnist, 60000 train / 10000 test; x/255, "
                    "(x-%.4f)/%.4f; aug: random hflip + random crop 28 with 2px zero padding\n" % (MEAN, STD))
            f.write("optimizer: SGD nesterov momentum 0.9, lr %g, weight decay %g on conv/linear weights "
                    "(%g on BN params and biases), batch %d, %g warmup epoch(s) then per-step cosine to 0, "
                    "label smoothing %g\n" % (
                        args.lr, args.weight_decay, args.bn_weight_decay, args.batch_size,
                        args.warmup_epochs, args.label_smoothing))
            f.write("seed: %d\nepochs: %d\n" % (args.seed, args.epochs))
            f.write("training time: %.1f min (%.1f s/epoch incl. per-epoch test eval)\n" % (
                total / 60, total / args.epochs))
            f.write("test accuracy (PyTorch, 10000 images): top-1 %.2f%%, top-5 %.2f%%\n" % (
                100 * top1, 100 * top5))
            f.write("per-epoch test top-1: %s\n" % ", ".join("%d:%.2f" % (e, 100 * a) for e, a, _ in history))
            f.write("onnx: opset 13, input 'input' [N,1,28,28], output 'logits' [N,10], %d bytes\n" % size)
    print(json.dumps({"test_top1": top1, "test_top5": top5, "minutes": total / 60, "bytes": size}))


if __name__ == "__main__":
    main()
