#!/usr/bin/python3
"""Run `densenet run` on every case in tests/fixtures/golden/MANIFEST and
compare with the stored expected output (numpy only, no torch).

    golden_ref.py [--densenet PATH] [--dir GOLDEN_DIR] [NAME_SUBSTRING...]

The binary is --densenet, else $DENSENET, else ./densenet (relative to the
current directory, which automake sets to the build directory).  The
fixtures are found under $srcdir/tests/fixtures/golden, $srcdir/fixtures/golden
or next to this script.

Cases rotate through three ways of passing data, so stdin/stdout handling is
exercised as much as file handling:
  pipe   stdin and stdout are pipes:           densenet run M  < in  > out
  files  -i IN.npy -o OUT.npy
  dash   -i - -o - with files redirected:      densenet run M -i - -o -

A case passes when the command exits 0 and writes a float32 .npy with the
expected shape whose values satisfy |got - want| <= atol + rtol * |want|
(rtol/atol from MANIFEST).  Exit status: 0 all passed, 1 some failed,
99 the fixtures or the binary could not be found.
"""
import io
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

MODES = ("pipe", "files", "dash")
TIMEOUT = 600


def find_golden_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    srcdir = os.environ.get("srcdir", ".")
    for d in (os.path.join(srcdir, "tests", "fixtures", "golden"),
              os.path.join(srcdir, "fixtures", "golden"),
              os.path.join(here, "fixtures", "golden")):
        if os.path.isfile(os.path.join(d, "MANIFEST")):
            return d
    return None


def read_manifest(path):
    cases = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 3:
                raise ValueError("%s:%d: expected 'NAME RTOL ATOL'" % (path, lineno))
            cases.append((parts[0], float(parts[1]), float(parts[2])))
    return cases


def run_case(exe, model, in_path, mode, tmp):
    """Returns (returncode, output bytes or None, stderr text)."""
    if mode == "pipe":
        with open(in_path, "rb") as f:
            data = f.read()
        p = subprocess.run([exe, "run", model], input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")
    out_path = os.path.join(tmp, "out.npy")
    if os.path.exists(out_path):
        os.unlink(out_path)
    if mode == "files":
        p = subprocess.run([exe, "run", model, "-i", in_path, "-o", out_path], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        if p.returncode == 0 and p.stdout:
            return 1, None, "wrote %d bytes to stdout although -o was given" % len(p.stdout)
    else:
        with open(in_path, "rb") as fin, open(out_path, "wb") as fout:
            p = subprocess.run([exe, "run", model, "-i", "-", "-o", "-"], stdin=fin, stdout=fout,
                               stderr=subprocess.PIPE, timeout=TIMEOUT)
    data = None
    if os.path.exists(out_path):
        with open(out_path, "rb") as f:
            data = f.read()
    return p.returncode, data, p.stderr.decode("utf-8", "replace")


def compare(data, want, rtol, atol):
    """Returns (ok, detail)."""
    if not data:
        return False, "no output"
    try:
        got = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:  # noqa: BLE001
        return False, "output is not a valid .npy (%s)" % e
    if got.dtype != np.float32:
        return False, "output dtype %s, want float32" % got.dtype
    if got.shape != want.shape:
        return False, "output shape %s, want %s" % (got.shape, want.shape)
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    if not np.all(np.isfinite(g)):
        return False, "output has %d non-finite values" % int((~np.isfinite(g)).sum())
    err = np.abs(g - w)
    bound = atol + rtol * np.abs(w)
    bad = err > bound
    detail = "max|diff| %.3g (max|want| %.3g)" % (err.max() if err.size else 0.0,
                                                   np.abs(w).max() if w.size else 0.0)
    if bad.any():
        i = np.unravel_index(int(np.argmax(err - bound)), err.shape)
        return False, "%s; %d of %d elements outside tolerance, worst at %s: got %.7g want %.7g" % (
            detail, int(bad.sum()), bad.size, tuple(int(v) for v in i), g[i], w[i])
    return True, detail


def main(argv):
    exe = os.environ.get("DENSENET", "./densenet")
    gdir = None
    filters = []
    it = iter(argv)
    for a in it:
        if a == "--densenet":
            exe = next(it, exe)
        elif a == "--dir":
            gdir = next(it, None)
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            filters.append(a)
    gdir = gdir or find_golden_dir()
    if not gdir:
        print("golden_ref: cannot find fixtures/golden/MANIFEST (srcdir=%s)" % os.environ.get("srcdir"),
              file=sys.stderr)
        return 99
    exe_path = exe if os.sep in exe else None
    if exe_path and not os.access(exe_path, os.X_OK):
        print("golden_ref: %s is not an executable file (cwd %s); set DENSENET" % (exe, os.getcwd()),
              file=sys.stderr)
        return 99
    try:
        cases = read_manifest(os.path.join(gdir, "MANIFEST"))
    except (OSError, ValueError) as e:
        print("golden_ref: %s" % e, file=sys.stderr)
        return 99
    for name, _, _ in cases:
        for suffix in (".onnx", ".input.npy", ".output.npy"):
            if not os.path.isfile(os.path.join(gdir, name + suffix)):
                print("golden_ref: missing fixture %s%s in %s" % (name, suffix, gdir), file=sys.stderr)
                return 99
    if filters:
        cases = [c for c in cases if any(f in c[0] for f in filters)]

    print("golden: %d cases from %s, binary %s" % (len(cases), gdir, exe))
    passed = failed = 0
    t_all = time.time()
    with tempfile.TemporaryDirectory(prefix="densenet-golden-") as tmp:
        for k, (name, rtol, atol) in enumerate(cases):
            mode = MODES[k % len(MODES)]
            model = os.path.join(gdir, name + ".onnx")
            in_path = os.path.join(gdir, name + ".input.npy")
            want = np.load(os.path.join(gdir, name + ".output.npy"), allow_pickle=False)
            t0 = time.time()
            try:
                rc, data, err = run_case(exe, model, in_path, mode, tmp)
            except subprocess.TimeoutExpired:
                rc, data, err = None, None, "timed out after %d s" % TIMEOUT
            except OSError as e:
                print("golden_ref: cannot run %s: %s" % (exe, e), file=sys.stderr)
                return 99
            dt = time.time() - t0
            if rc != 0:
                ok, detail = False, "exit status %s" % rc
            else:
                ok, detail = compare(data, want, rtol, atol)
            if ok:
                passed += 1
                print("PASS %-32s %-5s %6.2fs  %s" % (name, mode, dt, detail))
            else:
                failed += 1
                print("FAIL %-32s %-5s %6.2fs  %s" % (name, mode, dt, detail))
                for line in err.strip().splitlines()[:5]:
                    print("     stderr: %s" % line)
    print("golden: total %.1fs" % (time.time() - t_all))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
