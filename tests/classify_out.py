#!/usr/bin/python3
"""classify_out.py: what `densenet classify` prints, checked against
independent answers (numpy only, no torch).

  labels    every printed (index, label) pair against the label list:
            the shipped model's metadata and -l models/fmnist_classes.txt
            in JSON, TSV and text output, and the ImageNet list for a
            1000-class model (builtin:densenet121); each shipped sample's
            top-1 label is its true class (the file name);
  ties      exact ties in the scores (tests/fixtures/models/ties_2x5.png
            through pixels_as_logits_1x1x2x5.onnx): equal scores are listed
            lower index first, as torch.topk on CPU and a stable sort do;
  softmax   logits up to 1000 (near1000_2x5.png, --std 0.001): finite
            probabilities equal to a float64 softmax of the same float32
            logits, summing to 1;
  nonfinite logits that overflow to infinity (--std 1e-45): the image
            fails with one line (exit 1) instead of printing NaN.

Exit: 0 pass, 1 fail, 99 hard error (the binary or fixtures missing).
"""
import json
import os
import re
import subprocess
import sys

import numpy as np

DENSENET = os.environ.get("DENSENET", "./densenet")
SRC = os.environ.get("srcdir", ".")
MODELS = os.path.join(SRC, "models")
FIX = os.path.join(SRC, "tests", "fixtures", "models")
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL " + msg)


def classify(args, want_status=0):
    r = subprocess.run([DENSENET, "classify"] + args, capture_output=True, text=True)
    if r.returncode != want_status:
        fail("densenet classify %s: exit %d (want %d): %s" % (" ".join(args), r.returncode, want_status,
                                                               r.stderr.strip()))
    return r.stdout


def read_lines(path):
    with open(path) as f:
        return [ln.rstrip("\n") for ln in f]


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def check_labels():
    classes = read_lines(os.path.join(MODELS, "fmnist_classes.txt"))
    samples = sorted(os.path.join(MODELS, "samples", f) for f in os.listdir(os.path.join(MODELS, "samples"))
                     if f.endswith(".png"))
    if len(classes) != 10 or len(samples) < 5:
        print("classify_out: want 10 classes and 5 samples or more, have %d and %d" % (len(classes), len(samples)))
        sys.exit(99)
    for how, extra in (("metadata", []), ("-l", ["-l", os.path.join(MODELS, "fmnist_classes.txt")])):
        rows = [json.loads(ln) for ln in classify(extra + ["--json", "-k", "10"] + samples).splitlines()]
        if [r["file"] for r in rows] != samples:
            fail("labels (%s): results are not the samples in order" % how)
            continue
        for r in rows:
            for t in r["top"]:
                if t["label"] != classes[t["index"]]:
                    fail("labels (%s): %s: index %d printed as %r, the list says %r"
                         % (how, r["file"], t["index"], t["label"], classes[t["index"]]))
            want = os.path.basename(r["file"])[:-4]
            if slug(r["top"][0]["label"]) != want:
                fail("labels (%s): %s classified as %r" % (how, r["file"], r["top"][0]["label"]))
        # TSV and text give the same label at each rank
        tsv = [ln.split("\t") for ln in classify(extra + ["--tsv", "-k", "3"] + samples).splitlines()]
        for f, rank, idx, label, prob in tsv:
            if label != classes[int(idx)]:
                fail("labels (%s, tsv): %s rank %s: index %s printed as %r" % (how, f, rank, idx, label))
        text = classify(extra + ["-k", "3"] + samples).splitlines()
        printed = [ln.split("%", 1)[1].strip() for ln in text if ln.startswith("  ")]
        want = [classes[t["index"]] for r in rows for t in r["top"][:3]]
        if printed != want:
            fail("labels (%s, text): %s, want %s" % (how, printed[:6], want[:6]))
    print("ok   labels: fmnist metadata and -l list, json/tsv/text, %d samples" % len(samples))

    imagenet = read_lines(os.path.join(MODELS, "imagenet_classes.txt"))
    rows = [json.loads(ln) for ln in classify(["-m", "builtin:densenet121", "--json", "-k", "5",
                                               samples[0], samples[1]]).splitlines()]
    n = 0
    for r in rows:
        for t in r["top"]:
            n += 1
            if t["label"] != imagenet[t["index"]]:
                fail("labels (imagenet): index %d printed as %r, the list says %r"
                     % (t["index"], t["label"], imagenet[t["index"]]))
    if n != 10:
        fail("labels (imagenet): %d results, want 10" % n)
    print("ok   labels: imagenet list on a 1000-class model")


def logits_of(pixels, std):
    """The model's logits: (p / 255 - 0) / std, in float32 as preprocess does."""
    v = np.asarray(pixels, np.float32) / np.float32(255.0)
    return (v - np.float32(0.0)) / np.float32(std)


def expected_order(scores):
    """Top-k order: higher score first, equal scores lower index first."""
    return sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))


def run_pixels(png, std, extra):
    model = os.path.join(FIX, "pixels_as_logits_1x1x2x5.onnx")
    out = classify(["-m", model, "--resize", "none", "--crop", "none", "--mean", "0", "--std", str(std),
                    "-k", "10", "--json"] + extra + [os.path.join(FIX, png)])
    try:
        return json.loads(out)["top"]
    except ValueError as e:  # nan/inf printed as such are not JSON
        fail("classify --json %s printed %r: %s" % (png, out.strip(), e))
        return []


def check_ties():
    px = [9, 200, 9, 200, 50, 50, 200, 0, 0, 9]
    want = expected_order(logits_of(px, 1.0))
    assert want == [1, 3, 6, 4, 5, 0, 2, 9, 7, 8]
    for extra in ([], ["--raw"], ["--sigmoid"]):
        got = [t["index"] for t in run_pixels("ties_2x5.png", 1, extra)]
        if got != want:
            fail("ties %s: order %s, want %s (equal scores: lower index first)" % (extra, got, want))
    print("ok   ties: lower index first, softmax, raw and sigmoid")


def check_softmax():
    px = [255, 254, 253, 250, 240, 200, 100, 0, 255, 128]
    z = logits_of(px, 0.001).astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    p32 = p.astype(np.float32)
    top = run_pixels("near1000_2x5.png", 0.001, [])
    got = {t["index"]: t["prob"] for t in top}
    if len(got) != 10:
        fail("softmax near 1000: %d results, want 10" % len(got))
        return
    probs = np.array([got.get(i, np.nan) for i in range(10)])
    if not np.all(np.isfinite(probs)):
        fail("softmax near 1000: not finite: %s" % probs)
    elif not np.allclose(probs, p, rtol=1e-6, atol=1e-9):
        fail("softmax near 1000: %s, want %s" % (probs, p))
    elif abs(probs.sum() - 1.0) > 1e-6:
        fail("softmax near 1000: sums to %r" % probs.sum())
    order = [t["index"] for t in top]
    if order != expected_order(p32):
        fail("softmax near 1000: order %s, want %s" % (order, expected_order(p32)))
    raw = run_pixels("near1000_2x5.png", 0.001, ["--raw"])
    if any(np.float32(t["logit"]) != np.float32(z[t["index"]]) for t in raw):  # %.9g round-trips float32
        fail("softmax near 1000: raw logits %s, want %s" % ([t["logit"] for t in raw], z))
    print("ok   softmax: logits up to %.6g, probabilities %s" % (z.max(), np.round(probs[[0, 1, 2]], 6)))


def check_nonfinite():
    """--std 1e-45 makes every nonzero pixel's logit overflow to infinity:
    no answer from that, but an error for the image, as for a bad file."""
    model = os.path.join(FIX, "pixels_as_logits_1x1x2x5.onnx")
    png = os.path.join(FIX, "near1000_2x5.png")
    for extra in ([], ["--raw"], ["--json"]):
        args = ["-m", model, "--resize", "none", "--crop", "none", "--mean", "0", "--std", "1e-45"] + extra + [png]
        r = subprocess.run([DENSENET, "classify"] + args, capture_output=True, text=True)
        want = ["densenet: %s: the model's scores are not finite (NaN or infinity)" % png,
                "densenet: 1 of 1 images failed"]
        if r.returncode != 1 or r.stdout or r.stderr.splitlines() != want:
            fail("non-finite scores %s: exit %d, stdout %r, stderr %r" % (extra, r.returncode, r.stdout, r.stderr))
    print("ok   non-finite scores: an error for the image, not an answer")


def main():
    if not os.access(DENSENET, os.X_OK) or not os.path.isdir(FIX):
        print("classify_out: %s or %s missing" % (DENSENET, FIX))
        return 99
    check_labels()
    check_ties()
    check_softmax()
    check_nonfinite()
    print("classify_out: %d failures" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
