#!/usr/bin/python3
"""cam_ref.py: class activation maps and pooled features against PyTorch.

1. torchvision's DenseNet-121 (seeded random weights, non-trivial BatchNorm
   statistics, exported at test time with dynamic batch) on real photos
   (matplotlib's grace_hopper.jpg, scikit-image's data):
   * `densenet classify --cam DIR --cam-format npy --json` writes, per photo,
     the map of its top-1 class; it must equal PyTorch's
         cam[c] = sum_k classifier.weight[c, k] * relu(features(x))[k]
     (no bias, no 1/(h*w)) within 1e-4 * max|cam| + 1e-5, with the default
     kernels and with DENSENET_ISA=reference; --cam-class INDEX and LABEL pick
     another class;
   * `densenet features -o F.npy --names N.txt` must equal PyTorch's pooled
     features relu(features(x)).mean((2, 3)) within the same tolerance, rows
     and names in input order, an unreadable file skipped (exit 1);
   * the PNG (`--cam` default format) reads back as an RGB image of the input
     view's size (224x224, and 192x160 with --crop 160x192) that is not flat.
2. Miniature graphs built with the onnx package, each a conv trunk ending in
   Relu, then one classifier head: the ONNX model zoo's Caffe2-style
   AveragePool(kernel = whole map) -> Conv 1x1 (bias) -> Reshape -> Softmax,
   GlobalAveragePool -> Flatten -> MatMul -> Add, and GlobalAveragePool ->
   Squeeze -> Gemm(transB=0, alpha, beta); maps compared with numpy on the
   input `densenet preprocess` gives.
3. Models without the head (no pooling; a Relu between pooling and Gemm):
   classify --cam and features exit 3 and name what is missing.

DENSENET_TV_CACHE=DIR keeps the DenseNet-121 export between runs.
Exit: 0 pass, 1 fail, 77 skip (torch missing and not in CI), 99 hard error.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    import torch
    import torchvision  # noqa: F401
    from onnx import TensorProto, helper, numpy_helper
    from PIL import Image
    from torchvision import transforms as T
except ImportError as e:  # pragma: no cover
    if os.environ.get("CI"):
        print("cam_ref: torch/torchvision/onnx/PIL are required in CI: %s" % e)
        sys.exit(99)
    print("cam_ref: SKIP: %s" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classify_ref import photos  # noqa: E402  real photos no one here made
from torchvision_ref import build  # noqa: E402  seeded DenseNet with non-trivial BN

DENSENET = os.environ.get("DENSENET", "./densenet")
SEED = 20261129
failures = 0


def check(ok, what):
    global failures
    print("%s %s" % ("ok  " if ok else "FAIL", what))
    failures += not ok


def close(got, want):
    """max|diff| <= 1e-4 * max|want| + 1e-5; returns (ok, maxdiff, bound)"""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return False, float("inf"), 0.0
    d = float(np.abs(got - want).max())
    bound = 1e-4 * float(np.abs(want).max()) + 1e-5
    return d <= bound, d, bound


def run(args, env=None):
    return subprocess.run([DENSENET] + args, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


def export_d121(tmp):
    cache = os.environ.get("DENSENET_TV_CACHE")
    key = hashlib.sha256(("%s %d cam" % (torch.__version__, SEED)).encode()).hexdigest()[:16]
    path = os.path.join(cache or tmp, "cam-d121-%s.onnx" % key)
    net = build("densenet121", SEED)
    if not os.path.exists(path):
        part = "%s.tmp%d" % (path, os.getpid())
        with torch.no_grad():
            torch.onnx.export(net, torch.zeros(1, 3, 224, 224), part, opset_version=13,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
        os.replace(part, path)
    return net, path


def densenet121_checks(tmp, imgs):
    net, model = export_d121(tmp)
    preset = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                        T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    with torch.no_grad():
        x = torch.stack([preset(Image.open(p).convert("RGB")) for p in imgs])
        feats = torch.relu(net.features(x)).double()
        logits = net(x).numpy()
    w = net.classifier.weight.detach().double()
    pooled = feats.mean((2, 3)).numpy()

    def torch_cam(i, c):
        return torch.einsum("k,khw->hw", w[c], feats[i]).numpy()

    # maps of the top-1 class, default kernels and the reference executor
    for isa, sel in (("default", imgs), ("reference", imgs[:1])):
        out = os.path.join(tmp, "cam-" + isa)
        env = {"DENSENET_ISA": "reference"} if isa == "reference" else {}
        r = run(["classify", "-m", model, "--json", "-k", "1", "--batch", "2", "--cam", out,
                 "--cam-format", "npy"] + sel, env)
        check(r.returncode == 0, "classify --cam (%s kernels) exits 0 (%d: %s)" % (isa, r.returncode,
                                                                                   r.stderr.strip()))
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        check([l["file"] for l in lines] == sel, "one JSON line per photo, in order (%s)" % isa)
        for i, res in enumerate(lines):
            c = res["top"][0]["index"]
            got = np.load(res["cam"])
            ok, d, bound = close(got, torch_cam(i, c))
            check(ok, "%s %s: CAM of class %d (torch top-1 %d), %s, max|diff| %.2e <= %.2e"
                  % (isa, os.path.basename(res["file"]), c, int(logits[i].argmax()),
                     "x".join(map(str, got.shape)), d, bound))
            # the definition: mean(cam) + bias is the logit
            b = float(net.classifier.bias[c])
            check(abs(float(got.mean()) + b - float(logits[i][c])) <= 1e-4 * abs(float(logits[i][c])) + 1e-4,
                  "%s %s: mean(cam) + bias = logit" % (isa, os.path.basename(res["file"])))
    # another class, by index and by label (ImageNet's list applies to 1000 classes)
    labels = open(os.path.join(os.environ.get("srcdir", "."), "models", "imagenet_classes.txt")).read().splitlines()
    for arg, c in (("7", 7), (labels[281], 281)):
        out = os.path.join(tmp, "cam-class-%d" % c)
        r = run(["classify", "-m", model, "--json", "--cam", out, "--cam-format", "npy",
                 "--cam-class", arg, imgs[1]])
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        ok = r.returncode == 0 and len(lines) == 1
        if ok:
            ok, d, bound = close(np.load(lines[0]["cam"]), torch_cam(1, c))
        check(ok, "--cam-class %r: the map of class %d" % (arg, c))
    r = run(["classify", "-m", model, "--cam", os.path.join(tmp, "x"), "--cam-class", "no such label", imgs[0]])
    check(r.returncode == 2 and "cam-class" in r.stderr, "an unknown --cam-class is a usage error (%d)" % r.returncode)

    # pooled features, with an unreadable file in the middle
    fnpy, names = os.path.join(tmp, "f.npy"), os.path.join(tmp, "names.txt")
    bad = os.path.join(tmp, "not-an-image.jpg")
    with open(bad, "wb") as f:
        f.write(b"not an image")
    r = run(["features", "-m", model, "-o", fnpy, "--names", names, "--batch", "3"] + imgs[:2] + [bad] + imgs[2:])
    check(r.returncode == 1 and "not-an-image.jpg: " in r.stderr,
          "features reports the unreadable file and exits 1 (%d)" % r.returncode)
    got = np.load(fnpy)
    ok, d, bound = close(got, pooled)
    check(ok, "features: %s equals PyTorch's pooled features, max|diff| %.2e <= %.2e"
          % ("x".join(map(str, got.shape)), d, bound))
    check(open(names).read().splitlines() == imgs, "features --names lists the rows' files in order")
    r = run(["features", "-m", model, "-o", fnpy, imgs[0]])
    rows = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    check(r.returncode == 0 and rows == [{"row": 0, "file": imgs[0]}], "features without --names: JSON Lines")
    r = subprocess.run([DENSENET, "features", "-m", model, imgs[0]], capture_output=True)
    ok = r.returncode == 0
    if ok:
        ok, d, bound = close(np.load(io.BytesIO(r.stdout)), pooled[:1])
    check(ok, "features writes the .npy to stdout by default")

    # pictures: the input view's size, RGB, not flat
    for crop, size in ((None, (224, 224)), ("160x192", (192, 160))):
        out = os.path.join(tmp, "png-%s" % crop)
        r = run(["classify", "-m", model, "--json", "--cam", out, "--cam-alpha", "0.6"] +
                (["--crop", crop] if crop else []) + imgs[:2])
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        ok = r.returncode == 0 and len(lines) == 2
        for res in lines if ok else []:
            im = Image.open(res["cam"])
            im.load()
            a = np.asarray(im)
            ok = ok and res["cam"].endswith(".png") and im.size == size and im.mode == "RGB" and a.std() > 1
        check(ok, "PNGs read back as %dx%d RGB pictures (crop %s)" % (size[0], size[1], crop))


def conv(name, x, w, b, out, pads=None, strides=None):
    attrs = {}
    if pads:
        attrs["pads"] = pads
    if strides:
        attrs["strides"] = strides
    return helper.make_node("Conv", [x, w] + ([b] if b else []), [out], name=name, **attrs)


def mini_model(head, rng):
    """A conv trunk (3 -> 8 -> 16 channels, 16x16 map after the last Relu),
    then the named classifier head; returns (model, trunk weights, head W, bias)."""
    J, K = 10, 16
    w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(8).astype(np.float32) * 0.1
    w2 = rng.standard_normal((K, 8, 3, 3)).astype(np.float32) * 0.2
    b2 = rng.standard_normal(K).astype(np.float32) * 0.1
    W = rng.standard_normal((J, K)).astype(np.float32)
    B = rng.standard_normal(J).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
    nodes = [conv("conv1", "input", "w1", "b1", "c1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             conv("conv2", "r1", "w2", "b2", "c2", pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c2"], ["feat"], name="relu2")]
    alpha = beta = 1.0
    if head == "zoo-conv1x1":
        inits += [numpy_helper.from_array(W.reshape(J, K, 1, 1), "fc_w"), numpy_helper.from_array(B, "fc_b"),
                  numpy_helper.from_array(np.array([1, J], np.int64), "shape")]
        nodes += [helper.make_node("AveragePool", ["feat"], ["pool"], kernel_shape=[16, 16], name="pool"),
                  conv("fc", "pool", "fc_w", "fc_b", "fc"),
                  helper.make_node("Reshape", ["fc", "shape"], ["fc_flat"], name="reshape"),
                  helper.make_node("Softmax", ["fc_flat"], ["out"], name="softmax")]
    elif head == "gap-matmul-add":
        inits += [numpy_helper.from_array(W.T.copy(), "fc_w"), numpy_helper.from_array(B, "fc_b")]
        nodes += [helper.make_node("GlobalAveragePool", ["feat"], ["pool"], name="gap"),
                  helper.make_node("Flatten", ["pool"], ["flat"], name="flatten"),
                  helper.make_node("MatMul", ["flat", "fc_w"], ["mm"], name="matmul"),
                  helper.make_node("Add", ["mm", "fc_b"], ["out"], name="add")]
    elif head == "gap-squeeze-gemm":
        alpha, beta = 0.5, 2.0
        inits += [numpy_helper.from_array(W.T.copy(), "fc_w"), numpy_helper.from_array(B, "fc_b")]
        nodes += [helper.make_node("GlobalAveragePool", ["feat"], ["pool"], name="gap"),
                  helper.make_node("Squeeze", ["pool", "axes"], ["flat"], name="squeeze"),
                  helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["out"], alpha=alpha, beta=beta, name="fc")]
        inits.append(numpy_helper.from_array(np.array([2, 3], np.int64), "axes"))
    elif head == "no-pool":
        inits += [numpy_helper.from_array(rng.standard_normal((J, K * 256)).astype(np.float32), "fc_w")]
        nodes += [helper.make_node("Flatten", ["feat"], ["flat"], name="flatten"),
                  helper.make_node("Gemm", ["flat", "fc_w"], ["out"], transB=1, name="fc")]
    elif head == "relu-between":
        inits += [numpy_helper.from_array(W, "fc_w")]
        nodes += [helper.make_node("GlobalAveragePool", ["feat"], ["pool"], name="gap"),
                  helper.make_node("Relu", ["pool"], ["pr"], name="extra_relu"),
                  helper.make_node("Flatten", ["pr"], ["flat"], name="flatten"),
                  helper.make_node("Gemm", ["flat", "fc_w"], ["out"], transB=1, name="fc")]
    graph = helper.make_graph(nodes, head, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, J])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cam_ref")
    return model, (w1, b1, w2, b2), alpha * W, beta * B


def mini_checks(tmp, img):
    rng = np.random.default_rng(SEED)
    F = torch.nn.functional
    for head in ("zoo-conv1x1", "gap-matmul-add", "gap-squeeze-gemm"):
        model, (w1, b1, w2, b2), W, B = mini_model(head, rng)
        path = os.path.join(tmp, head + ".onnx")
        onnx.save(model, path)
        r = subprocess.run([DENSENET, "preprocess", "-m", path, img], capture_output=True)
        if r.returncode != 0:
            check(False, "%s: preprocess (%s)" % (head, r.stderr.decode().strip()))
            continue
        x = torch.from_numpy(np.load(io.BytesIO(r.stdout))).double()
        h = F.relu(F.conv2d(x, torch.from_numpy(w1).double(), torch.from_numpy(b1).double(), padding=1))
        feat = F.relu(F.conv2d(h, torch.from_numpy(w2).double(), torch.from_numpy(b2).double(), padding=1,
                               stride=2))[0].numpy()
        logits = W.astype(np.float64) @ feat.mean((1, 2)) + B
        c = int(logits.argmax())
        want = np.einsum("k,khw->hw", W.astype(np.float64)[c], feat)
        r = run(["classify", "-m", path, "--json", "--raw", "--cam", os.path.join(tmp, "cam-" + head),
                 "--cam-format", "npy", img])
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        ok = r.returncode == 0 and len(lines) == 1 and lines[0]["top"][0]["index"] == c
        d = bound = 0.0
        if ok:
            ok, d, bound = close(np.load(lines[0]["cam"]), want)
        check(ok, "%s: CAM of class %d, max|diff| %.2e <= %.2e (%s)" % (head, c, d, bound, r.stderr.strip()))
        r = run(["features", "-m", path, "-o", os.path.join(tmp, head + ".npy"), img])
        ok = r.returncode == 0
        if ok:
            ok, d, bound = close(np.load(os.path.join(tmp, head + ".npy"))[0], feat.mean((1, 2)))
        check(ok, "%s: pooled features" % head)
    for head, says in (("no-pool", "GlobalAveragePool"), ("relu-between", "extra_relu")):
        model = mini_model(head, rng)[0]
        path = os.path.join(tmp, head + ".onnx")
        onnx.save(model, path)
        for cmd in (["classify", "--cam", os.path.join(tmp, "cam-" + head)], ["features", "-o", "/dev/null"]):
            r = run(cmd + ["-m", path, img])
            check(r.returncode == 3 and says in r.stderr and path in r.stderr,
                  "%s: %s exits 3 naming what is missing (%d: %s)" % (head, cmd[0], r.returncode, r.stderr.strip()))


def main():
    imgs = photos()
    if len(imgs) < 4:
        print("cam_ref: fewer than 4 reference photos found (install python3-matplotlib and python3-skimage)")
        return 99
    imgs = imgs[:4]
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        mini_checks(tmp, imgs[0])
        densenet121_checks(tmp, imgs)
    print("cam_ref: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
