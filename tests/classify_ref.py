#!/usr/bin/env python3
"""classify_ref.py: `densenet classify` against PyTorch on real photos.

Builds torchvision's DenseNet-121 with seeded random weights (and non-trivial
BatchNorm statistics), exports it to ONNX in a temp dir, and checks on photos
that no one here made (matplotlib's grace_hopper.jpg, scikit-image's chelsea,
coffee, rocket, astronaut ...) that `densenet classify --json -k 5` gives
PyTorch's top-5 classes in PyTorch's order, with probabilities within 1e-4.
Then a truncated JPEG among the good photos: the good ones are still
classified, the bad one is reported on stderr, and the exit status is 1.

Exit: 0 pass, 1 fail, 77 skip (torch missing and not in CI), 99 hard error.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torchvision
    from PIL import Image
    from torchvision import transforms as T
except ImportError as e:  # pragma: no cover
    print("classify_ref: SKIP: %s" % e)
    sys.exit(99 if os.environ.get("CI") else 77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_ref import build  # noqa: E402  seeded DenseNet with non-trivial BN

DENSENET = os.environ.get("DENSENET", "./densenet")


def photos():
    found = []
    for d in ("/usr/share/matplotlib/mpl-data/sample_data",
              "/usr/lib/python3/dist-packages/matplotlib/mpl-data/sample_data"):
        p = os.path.join(d, "grace_hopper.jpg")
        if os.path.exists(p):
            found.append(p)
            break
    sk = "/usr/lib/python3/dist-packages/skimage/data"
    for name in ("chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png",
                 "motorcycle_left.png", "hubble_deep_field.jpg"):
        p = os.path.join(sk, name)
        if os.path.exists(p):
            found.append(p)
    return found


def main():
    imgs = photos()
    if len(imgs) < 4:
        print("classify_ref: fewer than 4 reference photos found (install python3-matplotlib "
              "and python3-skimage)")
        return 99
    torch.set_num_threads(2)
    net = build("densenet121", 20261128)
    preset = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                        T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "d121.onnx")
        torch.onnx.export(net, torch.zeros(1, 3, 224, 224), model, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
        # a truncated copy of the first JPEG
        jpg = next(p for p in imgs if p.endswith(".jpg"))
        bad = os.path.join(tmp, "truncated.jpg")
        with open(jpg, "rb") as f:
            data = f.read()
        with open(bad, "wb") as f:
            f.write(data[: len(data) // 3])
        with torch.no_grad():
            x = torch.stack([preset(Image.open(p).convert("RGB")) for p in imgs])
            probs = torch.softmax(net(x), dim=1).numpy()
        order = imgs[:2] + [bad] + imgs[2:]
        r = subprocess.run([DENSENET, "classify", "-m", model, "--json", "-k", "5",
                            "--batch", "2"] + order, capture_output=True, text=True)
        failures = 0
        if r.returncode != 1:
            print("FAIL: exit status %d with a truncated JPEG among the photos (want 1)" % r.returncode)
            failures += 1
        if "truncated.jpg: " not in r.stderr:
            print("FAIL: the truncated JPEG is not reported on stderr: %r" % r.stderr)
            failures += 1
        lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        if [l["file"] for l in lines] != imgs:
            print("FAIL: results are not the good photos in input order: %s" % [l["file"] for l in lines])
            return 1
        for i, (path, res) in enumerate(zip(imgs, lines)):
            want = list(np.argsort(-probs[i], kind="stable")[:5])
            got = [t["index"] for t in res["top"]]
            gap = probs[i][want[3]] - probs[i][want[4]]
            maxd = max(abs(t["prob"] - probs[i][t["index"]]) for t in res["top"])
            ok = got == want and maxd <= 1e-4
            print("%s %s torch=%s densenet=%s max|dprob|=%.2e (4th-5th gap %.1e)"
                  % ("ok  " if ok else "FAIL", os.path.basename(path), want, got, maxd, gap))
            failures += not ok
        print("classify_ref: %d photos, %d failures" % (len(imgs), failures))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
