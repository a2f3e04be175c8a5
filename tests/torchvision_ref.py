#!/usr/bin/python3
"""Full-size torchvision DenseNets against `densenet`, under every kernel set.

Exports torchvision DenseNet-121/-169/-201/-161 (seeded random weights,
non-trivial BatchNorm running stats; no pretrained weights are needed) with
torch.onnx.export, once per case (cached, see DENSENET_TV_CACHE), then for each
export:
  * `densenet inspect --json` must report the expected "params" (elements of
    the initializers that nodes use, counted from the ONNX file with the onnx
    package) and "macs" (multiply-accumulates of Conv/Gemm/MatMul at
    1x3x224x224, the well-known torchvision figures);
  * `densenet run -t T` with DENSENET_ISA=ISA, for every kernel set this CPU
    has (reference, generic, avx2, avx512), T = 1 and 2, and each of the
    case's input shapes, must match PyTorch on a seeded random input:
    max|diff| <= 1e-4 * max|y| + 1e-5;
  * for one ISA and shape, the outputs at 1 and 2 threads must be
    bit-identical.
Cases and input shapes (N x 3 x S x S as N/S):
    121      opset 13          1/224, 3/224, 1/160, 3/97
    121@9    opset 9           1/224
    121@17   opset 17          1/224
    169, 201 opset 13          1/224
    161      opset 13          1/224, 2/160
    121dyn   opset 13, dynamic batch/height/width axes   4/160, 3/97
An ISA the CPU (or this build) lacks is reported as SKIP and not counted as
passed; the closing line is "N passed, N failed, N skipped" over
(case, shape, ISA) checks plus one inspect check per case.

    torchvision_ref.py [--densenet PATH] [--keep DIR]
    DENSENET_TV_MODELS="121 161" limits the run to some cases
    (121, 121@9, 121@17, 169, 201, 161, 121dyn).
    DENSENET_ISA=NAME limits the sweep to that kernel set (exit 77 when this
    CPU lacks it).
    DENSENET_TV_CACHE=DIR keeps the exports there between runs (keyed by
    torch version and this file's contents); default: a temporary folder.

Exit: 0 pass, 1 fail, 77 torch/torchvision/onnx missing (99 if $CI is set) or
the one requested ISA unsupported, 99 hard error (binary missing, export
failed, unexpected export contents).
"""
import hashlib
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

ISAS = ("reference", "generic", "avx2", "avx512")
THREADS = (1, 2)

# key, torchvision constructor, opset, dynamic axes, input shapes (batch, side) to run
CASES = [
    ("121", "densenet121", 13, None, [(1, 224), (3, 224), (1, 160), (3, 97)]),
    ("121@9", "densenet121", 9, None, [(1, 224)]),
    ("121@17", "densenet121", 17, None, [(1, 224)]),
    ("169", "densenet169", 13, None, [(1, 224)]),
    ("201", "densenet201", 13, None, [(1, 224)]),
    ("161", "densenet161", 13, None, [(1, 224), (2, 160)]),  # growth 48: other channel tails
    ("121dyn", "densenet121", 13, (0, 2, 3), [(4, 160), (3, 97)]),
]


def isa_support(exe):
    """{isa: None if usable, else why not}, from tests/isa_support.sh (the
    CPU's flags, then the binary's own --isa check)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "isa_support.sh")
    why = {}
    for isa in ISAS:
        p = subprocess.run(["sh", script, isa], env=dict(os.environ, DENSENET=exe), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        why[isa] = p.stdout.decode(errors="replace").strip() or "isa_support.sh exit %d" % p.returncode \
            if p.returncode != 0 else None
    return why


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


def run_densenet(exe, path, in_path, out_path, isa, threads):
    """`densenet run` under DENSENET_ISA=isa with -t threads: (output or None, failure or None, seconds)."""
    if os.path.exists(out_path):
        os.unlink(out_path)
    env = dict(os.environ, DENSENET_ISA=isa)
    t0 = time.time()
    try:
        p = subprocess.run([exe, "run", path, "-i", in_path, "-o", out_path, "-t", str(threads)], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % TIMEOUT, time.time() - t0
    dt = time.time() - t0
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[:300]), dt
    try:
        return np.load(out_path, allow_pickle=False), None, dt
    except Exception as e:  # noqa: BLE001
        return None, "output unreadable: %s" % e, dt


def check_inspect(exe, path, arch, opset, dyn, params):
    """Failures of `densenet inspect --json` against the export's facts."""
    try:
        p = subprocess.run([exe, "inspect", "--json", path], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return ["inspect timed out"]
    if p.returncode != 0:
        return ["inspect exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[:300])]
    try:
        info = json.loads(p.stdout.decode())
    except ValueError as e:
        return ["inspect --json output is not JSON: %s" % e]
    fails = []
    if info.get("params") != params:
        fails.append("inspect params %r, want %d" % (info.get("params"), params))
    if not dyn and info.get("macs") != EXPECTED_MACS[arch]:
        fails.append("inspect macs %r, want %d" % (info.get("macs"), EXPECTED_MACS[arch]))
    if info.get("opset") != opset:
        fails.append("inspect opset %r, want %d" % (info.get("opset"), opset))
    for k in ("producer", "ir_version", "inputs", "outputs", "ops", "activation_bytes"):
        if k not in info:
            fails.append("inspect --json lacks key %r" % k)
    return fails


def export(model, path, opset, dyn):
    """torch.onnx.export into path (atomically, so a cache never holds half a file)."""
    dyn_axes = None
    if dyn:
        names = {0: "batch", 2: "height", 3: "width"}
        dyn_axes = {"input": {d: names[d] for d in dyn}, "output": {0: "batch"}}
    tmp = "%s.tmp%d" % (path, os.getpid())
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, 3, 224, 224), tmp, opset_version=opset,
                          input_names=["input"], output_names=["output"], dynamic_axes=dyn_axes)
    os.replace(tmp, path)


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
    unknown = [w for w in want if w not in [c[0] for c in CASES]]
    if unknown:
        print("torchvision_ref: unknown DENSENET_TV_MODELS entries %s" % " ".join(unknown), file=sys.stderr)
        return HARD
    only = os.environ.get("DENSENET_ISA", "")
    if only and only not in ISAS:
        print("torchvision_ref: DENSENET_ISA=%s is not one of %s" % (only, " ".join(ISAS)), file=sys.stderr)
        return HARD
    isas = [only] if only else list(ISAS)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    print("torchvision_ref: torch %s, torchvision %s, onnx %s, binary %s" % (
        torch.__version__, torchvision.__version__, onnx.__version__, exe))
    why = isa_support(exe)
    for isa in isas:
        if why[isa]:
            print("SKIP isa %s: %s" % (isa, why[isa]))
    if only and why[only]:
        print("torchvision_ref: SKIP: DENSENET_ISA=%s: %s" % (only, why[only]))
        return SKIP
    print("torchvision_ref: kernel sets %s at %s threads" % (
        " ".join(i for i in isas if not why[i]), ",".join(map(str, THREADS))))

    with open(os.path.abspath(__file__), "rb") as f:
        tag = hashlib.sha1(f.read() + torch.__version__.encode()).hexdigest()[:10]
    cache = os.environ.get("DENSENET_TV_CACHE") or keep
    passed = failed = skipped = 0
    models = {}
    t_all = time.time()
    tmpctx = tempfile.TemporaryDirectory(prefix="densenet-tv-")
    tmp = tmpctx.name
    if cache:
        os.makedirs(cache, exist_ok=True)
    try:
        for key, arch, opset, dyn, shapes in cases:
            label = "%s opset %d%s" % (arch, opset, " dynamic" if dyn else "")
            if arch not in models:
                models.clear()  # one full-size model in memory at a time
                models[arch] = build(arch, SEEDS[arch])
            model = models[arch]
            name = "%s_op%d%s" % (arch, opset, "_dyn" if dyn else "")
            path = os.path.join(cache or tmp, "%s-%s.onnx" % (name, tag))

            t0 = time.time()
            cached = os.path.isfile(path)
            if not cached:
                try:
                    export(model, path, opset, dyn)
                except Exception as e:  # noqa: BLE001
                    print("torchvision_ref: export of %s failed: %s" % (label, e), file=sys.stderr)
                    return HARD
            t_export = time.time() - t0
            params, ops = onnx_params(path)
            if arch == "densenet121" and params != DENSENET121_PARAMS:
                print("torchvision_ref: %s export has %d initializer elements, expected %d: the exporter "
                      "changed; fix the test" % (label, params, DENSENET121_PARAMS), file=sys.stderr)
                return HARD

            t0 = time.time()
            try:
                fails = check_inspect(exe, path, arch, opset, dyn, params)
            except OSError as e:
                print("torchvision_ref: cannot run %s: %s" % (exe, e), file=sys.stderr)
                return HARD
            passed += not fails
            failed += bool(fails)
            print("%s %-30s inspect: params %d  export %s  inspect %.1fs" % (
                "FAIL" if fails else "PASS", label, params,
                "cached" if cached else "%.1fs" % t_export, time.time() - t0))
            print("     ops: %s" % " ".join("%s:%d" % kv for kv in sorted(ops.items())))
            for f in fails:
                print("     %s" % f)

            for n, side in shapes:
                shape = (n, 3, side, side)
                gen = torch.Generator().manual_seed(7 + opset + n * 1000 + side)
                x = torch.randn(*shape, generator=gen)
                t0 = time.time()
                with torch.no_grad():
                    y = model(x).numpy().astype(np.float32)
                t_torch = time.time() - t0
                ymax = float(np.abs(y).max())
                bound = 1e-4 * ymax + 1e-5
                in_path = os.path.join(tmp, "in.npy")
                save_npy(in_path, x.numpy())
                what = "%-30s %-15s" % (label, "x".join(map(str, shape)))
                for isa in isas:
                    if why[isa]:
                        skipped += 1
                        print("SKIP %s %-9s %s" % (what, isa, why[isa]))
                        continue
                    fails = []
                    outs, diffs, secs = {}, [], []
                    for t in THREADS:
                        got, err, dt = run_densenet(exe, path, in_path, os.path.join(tmp, "out%d.npy" % t), isa, t)
                        secs.append(dt)
                        if err:
                            fails.append("-t %d: run %s" % (t, err))
                            continue
                        if got.dtype != np.float32 or got.shape != y.shape:
                            fails.append("-t %d: output %s %s, want float32 %s" % (t, got.dtype, got.shape, y.shape))
                            continue
                        outs[t] = got
                        d = float(np.abs(got.astype(np.float64) - y).max())
                        diffs.append(d)
                        if not d <= bound:
                            fails.append("-t %d: max|diff| %.3g > %.3g (max|y| %.3g)" % (t, d, bound, ymax))
                    same = "-"
                    if len(outs) == len(THREADS):
                        ref = outs[THREADS[0]]
                        same = "identical"
                        for t in THREADS[1:]:
                            if outs[t].tobytes() != ref.tobytes():
                                same = "DIFFER"
                                nd = int(np.count_nonzero(outs[t] != ref))
                                fails.append("-t %d output differs from -t %d in %d of %d values (must be bit-identical)"
                                             % (t, THREADS[0], nd, ref.size))
                    passed += not fails
                    failed += bool(fails)
                    print("%s %s %-9s max|diff| %s  bound %.2g  t%s %s  run %s  torch %.2fs" % (
                        "FAIL" if fails else "PASS", what, isa, "/".join("%.2g" % d for d in diffs) or "-", bound,
                        ",".join(map(str, THREADS)), same, "+".join("%.1fs" % s for s in secs), t_torch))
                    for f in fails:
                        print("     %s" % f)
            if not cache:
                os.unlink(path)
    finally:
        tmpctx.cleanup()
    print("torchvision: total %.1fs" % (time.time() - t_all))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
