#!/usr/bin/python3
"""Full-size torchvision DenseNets against `densenet`.

Exports torchvision DenseNet-121/-169/-201/-161 (seeded random weights,
non-trivial BatchNorm running stats; no pretrained weights are needed) with
torch.onnx.export into a temporary directory, then for each export:
  * `densenet inspect --json` must report the expected "params" (elements of
    the initializers that nodes use, counted from the ONNX file with the onnx
    package) and "macs" (multiply-accumulates of Conv/Gemm/MatMul at
    1x3x224x224, the well-known torchvision figures);
  * `densenet run` on a random 1x3x224x224 input must match PyTorch:
    max|diff| <= 1e-4 * max|y| + 1e-5.
Exports: all four at opset 13, DenseNet-121 also at opsets 9 and 17, and a
DenseNet-121 with dynamic batch/height/width axes run at 4x3x160x160.

    torchvision_ref.py [--densenet PATH] [--keep DIR]
    DENSENET_TV_MODELS="121 161" limits the run to some models
    (121, 121@9, 121@17, 169, 201, 161, 121dyn).

Exit: 0 pass, 1 fail, 77 torch/torchvision/onnx missing (99 if $CI is set),
99 hard error (binary missing, export failed, unexpected export contents).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

SKIP = 77
HARD = 99

try:
    import numpy as np
    import onnx
    import torch
    import torchvision
except Exception as e:  # noqa: BLE001
    if os.environ.get("CI"):
        print("torchvision_ref: torch/torchvision/onnx/numpy are required in CI: %s" % e, file=sys.stderr)
        sys.exit(HARD)
    print("torchvision_ref: SKIP: %s" % e)
    sys.exit(SKIP)

warnings.filterwarnings("ignore")

EXPECTED_MACS = {
    "densenet121": 2834161664,
    "densenet169": 3359843328,
    "densenet201": 4291365888,
    "densenet161": 7727907072,
}
DENSENET121_PARAMS = 8040040   # 7978856 weights + BN running stats, after the exporter folds BN into conv
TIMEOUT = 1800
SEEDS = {"densenet121": 121, "densenet169": 169, "densenet201": 201, "densenet161": 161}

# key, torchvision constructor, opset, input shape for run, dynamic axes
CASES = [
    ("121", "densenet121", 13, (1, 3, 224, 224), None),
    ("121@9", "densenet121", 9, (1, 3, 224, 224), None),
    ("121@17", "densenet121", 17, (1, 3, 224, 224), None),
    ("169", "densenet169", 13, (1, 3, 224, 224), None),
    ("201", "densenet201", 13, (1, 3, 224, 224), None),
    ("161", "densenet161", 13, (1, 3, 224, 224), None),
    ("121dyn", "densenet121", 13, (4, 3, 160, 160), (0, 2, 3)),
]


def build(arch, seed):
    """torchvision's own (seeded) init for conv/linear weights, plus random
    BN affine parameters and running stats so that no BN is an identity."""
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
            elif isinstance(m, torch.nn.Linear):
                m.bias.copy_(torch.randn(m.out_features, generator=gen) * 0.1)
    return model.eval()


def onnx_params(path):
    """Elements of the initializers that some node uses."""
    m = onnx.load(path)
    used = set()
    for n in m.graph.node:
        used.update(n.input)
    total = 0
    for t in m.graph.initializer:
        if t.name in used:
            n = 1
            for d in t.dims:
                n *= d
            total += n
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    return total, ops


def save_npy(path, a):
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(a, dtype=np.float32), allow_pickle=False)


def main(argv):
    exe = os.environ.get("DENSENET", "./densenet")
    keep = None
    it = iter(argv)
    for a in it:
        if a == "--densenet":
            exe = next(it, exe)
        elif a == "--keep":
            keep = next(it, None)
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            print("torchvision_ref: unknown argument %s" % a, file=sys.stderr)
            return HARD
    if os.sep in exe and not os.access(exe, os.X_OK):
        print("torchvision_ref: %s is not an executable file (cwd %s); set DENSENET" % (exe, os.getcwd()),
              file=sys.stderr)
        return HARD
    want = os.environ.get("DENSENET_TV_MODELS", "").split()
    cases = [c for c in CASES if not want or c[0] in want]
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    print("torchvision_ref: torch %s, torchvision %s, onnx %s, binary %s" % (
        torch.__version__, torchvision.__version__, onnx.__version__, exe))

    passed = failed = 0
    models = {}
    t_all = time.time()
    tmpctx = tempfile.TemporaryDirectory(prefix="densenet-tv-") if keep is None else None
    tmp = keep if keep else tmpctx.name
    os.makedirs(tmp, exist_ok=True)
    try:
        for key, arch, opset, shape, dyn in cases:
            label = "%s opset %d%s" % (arch, opset, " dynamic %s" % "x".join(map(str, shape)) if dyn else "")
            fails = []
            if arch not in models:
                models.clear()  # one full-size model in memory at a time
                models[arch] = build(arch, SEEDS[arch])
            model = models[arch]
            path = os.path.join(tmp, "%s_op%d%s.onnx" % (arch, opset, "_dyn" if dyn else ""))

            t0 = time.time()
            dyn_axes = None
            if dyn:
                names = {0: "batch", 2: "height", 3: "width"}
                dyn_axes = {"input": {d: names[d] for d in dyn}, "output": {0: "batch"}}
            try:
                with torch.no_grad():
                    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), path, opset_version=opset,
                                      input_names=["input"], output_names=["output"], dynamic_axes=dyn_axes)
            except Exception as e:  # noqa: BLE001
                print("torchvision_ref: export of %s failed: %s" % (label, e), file=sys.stderr)
                return HARD
            t_export = time.time() - t0
            params, ops = onnx_params(path)
            if arch == "densenet121" and params != DENSENET121_PARAMS:
                print("torchvision_ref: %s export has %d initializer elements, expected %d: the exporter "
                      "changed; fix the test" % (label, params, DENSENET121_PARAMS), file=sys.stderr)
                return HARD

            # inspect
            t0 = time.time()
            try:
                p = subprocess.run([exe, "inspect", "--json", path], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
            except OSError as e:
                print("torchvision_ref: cannot run %s: %s" % (exe, e), file=sys.stderr)
                return HARD
            except subprocess.TimeoutExpired:
                p = None
            t_inspect = time.time() - t0
            if p is None:
                fails.append("inspect timed out")
            elif p.returncode != 0:
                fails.append("inspect exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[:300]))
            else:
                try:
                    info = json.loads(p.stdout.decode())
                except ValueError as e:
                    info = None
                    fails.append("inspect --json output is not JSON: %s" % e)
                if info is not None:
                    if info.get("params") != params:
                        fails.append("inspect params %r, want %d" % (info.get("params"), params))
                    if not dyn and info.get("macs") != EXPECTED_MACS[arch]:
                        fails.append("inspect macs %r, want %d" % (info.get("macs"), EXPECTED_MACS[arch]))
                    if info.get("opset") != opset:
                        fails.append("inspect opset %r, want %d" % (info.get("opset"), opset))
                    for k in ("producer", "ir_version", "inputs", "outputs", "ops", "activation_bytes"):
                        if k not in info:
                            fails.append("inspect --json lacks key %r" % k)

            # run
            gen = torch.Generator().manual_seed(7 + opset + shape[0])
            x = torch.randn(*shape, generator=gen)
            t0 = time.time()
            with torch.no_grad():
                y = model(x).numpy().astype(np.float32)
            t_torch = time.time() - t0
            in_path = os.path.join(tmp, "in.npy")
            out_path = os.path.join(tmp, "out.npy")
            save_npy(in_path, x.numpy())
            if os.path.exists(out_path):
                os.unlink(out_path)
            t0 = time.time()
            try:
                p = subprocess.run([exe, "run", path, "-i", in_path, "-o", out_path], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                p = None
            t_run = time.time() - t0
            diff = None
            ymax = float(np.abs(y).max())
            if p is None:
                fails.append("run timed out after %d s" % TIMEOUT)
            elif p.returncode != 0:
                fails.append("run exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[:300]))
            else:
                try:
                    got = np.load(out_path, allow_pickle=False)
                except Exception as e:  # noqa: BLE001
                    got = None
                    fails.append("run output unreadable: %s" % e)
                if got is not None:
                    if got.dtype != np.float32 or got.shape != y.shape:
                        fails.append("run output %s %s, want float32 %s" % (got.dtype, got.shape, y.shape))
                    else:
                        diff = float(np.abs(got.astype(np.float64) - y).max())
                        bound = 1e-4 * float(np.abs(y).max()) + 1e-5
                        if not diff <= bound:
                            fails.append("run max|diff| %.3g > %.3g (max|y| %.3g)" % (diff, bound, np.abs(y).max()))

            status = "PASS" if not fails else "FAIL"
            if fails:
                failed += 1
            else:
                passed += 1
            print("%s %-40s params %9d  export %5.1fs  inspect %5.1fs  run %6.1fs  torch %5.2fs  max|diff| %s  max|y| %.3g" % (
                status, label, params, t_export, t_inspect, t_run, t_torch,
                "%.3g" % diff if diff is not None else "-", ymax))
            print("     ops: %s" % " ".join("%s:%d" % kv for kv in sorted(ops.items())))
            for f in fails:
                print("     %s" % f)
            if not keep:
                os.unlink(path)
    finally:
        if tmpctx is not None:
            tmpctx.cleanup()
    print("torchvision: total %.1fs" % (time.time() - t_all))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
