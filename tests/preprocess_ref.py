#!/usr/bin/python3
"""tests/preprocess_ref.py - compare `densenet preprocess` with torchvision.

Usage: preprocess_ref.py [--resize N] [--crop C] [--mean M] [--std S]
                         [--gray] [--keep DIR] DENSENET [IMAGE ...]

For every image runs `DENSENET preprocess IMAGE -o OUT.npy [options]` and
compares OUT.npy (float32, shape (1, C, H, W)) with
Compose([Resize, CenterCrop, ToTensor(), Normalize]) on
PIL.Image.open(IMAGE).convert("RGB" or "L"). Options are forwarded to
densenet as they are and mirrored in the reference (default: ImageNet
preset). Without images, uses matplotlib's grace_hopper.jpg, every PNG and
JPEG of scikit-image's data folder, the fixtures next to this script and
variants generated into a temporary dir, or DIR with --keep (16-bit,
palette, gray+alpha, interlaced, CMYK/gray/progressive JPEG, upscaled).
Images Pillow cannot load must make densenet fail too.
Prints max and mean abs diff per image; exits 1 if any value differs at all
(README promises bit-identical tensors) or an expected failure succeeded;
77 if torch, torchvision or PIL are missing, 99 then instead when the CI
environment variable is set. Owned by the preprocessing code
(cli/preprocess.c).
"""
import os
import struct
import subprocess
import sys
import tempfile
import warnings
import zlib

try:
    import numpy as np
    import torch  # noqa: F401
    from PIL import Image
    from torchvision import transforms as T
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(99 if os.environ.get("CI") else 77)

OPTION_KEYS = ("resize", "crop", "mean", "std")
HERE = os.path.dirname(os.path.abspath(__file__))

ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
         (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))  # x0, y0, dx, dy


def write_png(path, arr, color_type, depth, palette=None, trns=None,
              interlace=False):
    """Minimal PNG writer for what Pillow cannot save (16-bit RGB(A)/LA,
    2/4-bit gray, Adam7). arr: HxW or HxWxC samples valid for depth."""
    arr = np.asarray(arr)
    h, w = arr.shape[:2]

    def raw(a):
        out = b""
        for row in a.reshape(a.shape[0], -1):
            if depth == 16:
                data = row.astype(">u2").tobytes()
            elif depth == 8:
                data = row.astype(np.uint8).tobytes()
            else:
                bits = np.unpackbits(row.astype(np.uint8)[:, None], axis=1)
                data = np.packbits(bits[:, 8 - depth:].ravel()).tobytes()
            out += b"\0" + data
        return out

    if interlace:
        data = b"".join(raw(arr[y0::dy, x0::dx]) for x0, y0, dx, dy in ADAM7
                        if arr[y0::dy, x0::dx].size)
    else:
        data = raw(arr)

    def chunk(cid, body):
        return (struct.pack(">I", len(body)) + cid + body +
                struct.pack(">I", zlib.crc32(cid + body) & 0xffffffff))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(
        ">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        png += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).ravel()))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def make_variants(src, d):
    """Variants of a photo covering the decoder paths; returns paths."""
    rng = np.random.default_rng(1)
    im = Image.open(src).convert("RGB")
    a = np.asarray(im)
    g = np.asarray(im.convert("L"))
    noise = rng.integers(0, 256, a.shape)
    out = []

    def p(name):
        out.append(os.path.join(d, name))
        return out[-1]

    alpha = rng.integers(0, 256, a.shape[:2], dtype=np.uint8)
    write_png(p("rgb16.png"), a.astype(np.int64) * 256 + noise, 2, 16)
    write_png(p("rgba16.png"), np.dstack([a.astype(np.int64) * 256 + noise,
                                          alpha.astype(np.int64) * 257]), 6, 16)
    write_png(p("rgba8.png"), np.dstack([a, alpha]), 6, 8)
    write_png(p("ga8.png"), np.dstack([g, alpha]), 4, 8)
    write_png(p("ga16.png"), np.dstack([g.astype(np.int64) * 256 + noise[..., 0],
                                        alpha]), 4, 16)
    write_png(p("gray16_low.png"), g.astype(np.int64) + noise[..., 0] // 32,
              0, 16)
    write_png(p("gray16.png"), g.astype(np.int64) * 257, 0, 16)
    write_png(p("gray4.png"), g >> 4, 0, 4)
    write_png(p("gray2.png"), g >> 6, 0, 2)
    im.convert("1").save(p("gray1.png"))
    write_png(p("rgb8_adam7.png"), a, 2, 8, interlace=True)
    write_png(p("gray16_adam7.png"), g.astype(np.int64) // 2, 0, 16,
              interlace=True)
    q = im.quantize(256)
    q.save(p("pal8_trns.png"), transparency=0)
    q16 = im.quantize(16)
    pal = np.asarray(q16.getpalette()[:12 * 3]).reshape(-1, 3)  # short PLTE
    write_png(p("pal4_short.png"), np.asarray(q16), 3, 4, palette=pal,
              trns=b"\x00\x80")
    write_png(p("pal8_adam7.png"), np.asarray(q), 3, 8,
              palette=np.asarray(q.getpalette()[:256 * 3]).reshape(-1, 3),
              interlace=True)
    im.save(p("q90_420.jpg"), quality=90)
    im.save(p("q75_444.jpg"), quality=75, subsampling=0)
    im.save(p("q50_422.jpg"), quality=50, subsampling=1)
    im.save(p("progressive.jpg"), quality=85, progressive=True)
    im.convert("L").save(p("gray.jpg"), quality=90)
    im.convert("CMYK").save(p("cmyk.jpg"), quality=90)
    im.crop((0, 0, 301, 257)).save(p("odd_301x257.png"))
    im.crop((13, 7, 13 + 57, 7 + 43)).save(p("small_57x43.png"))
    im.crop((0, 0, 100, 300)).save(p("tall_100x300.jpg"), quality=95)
    im.crop((0, 0, 256, 300)).save(p("exact_short_256.png"))
    return out


def default_images(tmpdir):
    images = []
    for path in ("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",):
        if os.path.exists(path):
            images.append(path)
    try:
        import importlib.util
        spec = importlib.util.find_spec("skimage")
        datadir = os.path.join(spec.submodule_search_locations[0], "data")
        for name in sorted(os.listdir(datadir)):
            if name.endswith((".png", ".jpg")):
                images.append(os.path.join(datadir, name))
    except (ImportError, AttributeError, TypeError, OSError):
        pass
    fixtures = os.path.join(HERE, "fixtures", "images")
    if os.path.isdir(fixtures):
        images += [os.path.join(fixtures, n) for n in sorted(os.listdir(fixtures))
                   if n.endswith((".png", ".jpg"))]
    photo = next((p for p in images if p.endswith("chelsea.png")),
                 images[0] if images else None)
    if photo:
        images += make_variants(photo, tmpdir)
    return images


def parse_opts(opts):
    r = {"resize": 256, "crop": (224, 224), "gray": False,
         "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    for k, v in opts.items():
        if k == "resize":
            r[k] = None if v == "none" else int(v)
        elif k == "crop":
            hw = v.lower().split("x")
            r[k] = None if v == "none" else (int(hw[0]), int(hw[-1]))
        elif k in ("mean", "std"):
            vals = [float(x) for x in v.split(",")]
            r[k] = vals * 3 if len(vals) == 1 else vals
        elif k == "gray":
            r[k] = True
    return r


def reference(path, o):
    img = Image.open(path).convert("L" if o["gray"] else "RGB")
    n = 1 if o["gray"] else 3
    tf = []
    if o["resize"]:
        tf.append(T.Resize(o["resize"]))
    if o["crop"]:
        tf.append(T.CenterCrop(o["crop"]))
    tf += [T.ToTensor(), T.Normalize(o["mean"][:n], o["std"][:n])]
    return T.Compose(tf)(img).unsqueeze(0).numpy()


def main(argv):
    opts, args, keep = {}, [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and a[2:] in OPTION_KEYS and i + 1 < len(argv):
            opts[a[2:]] = argv[i + 1]
            i += 2
        elif a == "--gray":
            opts["gray"] = None
            i += 1
        elif a == "--keep" and i + 1 < len(argv):
            keep = argv[i + 1]
            i += 2
        else:
            args.append(a)
            i += 1
    if not args:
        print(__doc__)
        return 2
    densenet, images = args[0], args[1:]
    warnings.filterwarnings("ignore")
    o = parse_opts(opts)
    extra = [x for k, v in opts.items()
             for x in (("--" + k,) if v is None else ("--" + k, v))]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        gen = keep or tmp
        os.makedirs(gen, exist_ok=True)
        if not images:
            images = default_images(gen)
        for n, path in enumerate(images):
            name = os.path.basename(path)
            try:
                ref = reference(path, o)
            except Exception as e:  # Pillow rejects it: densenet must too
                ref, why = None, f"{type(e).__name__}: {e}"
            out = os.path.join(tmp, f"out{n}.npy")
            r = subprocess.run([densenet, "preprocess", path, "-o", out] + extra,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if ref is None:
                ok = r.returncode != 0
                print(f"{'ok  ' if ok else 'FAIL'} {name}: PIL fails ({why}); "
                      f"densenet {'fails' if ok else 'succeeds'}: "
                      f"{r.stderr.decode(errors='replace').strip()}")
                failed += not ok
                continue
            if r.returncode != 0:
                print(f"FAIL {name}: densenet exit {r.returncode}: "
                      f"{r.stderr.decode(errors='replace').strip()}")
                failed += 1
                continue
            got = np.load(out)
            if got.dtype != np.float32 or got.shape != ref.shape:
                print(f"FAIL {name}: got {got.dtype} {got.shape}, "
                      f"expected float32 {ref.shape}")
                failed += 1
                continue
            d = np.abs(got.astype(np.float64) - ref.astype(np.float64))
            ok = np.array_equal(got, ref)  # bit-identical (no NaN here)
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: shape {ref.shape[1:]} "
                  f"max {d.max():.3g} mean {d.mean():.3g} "
                  f"differing {np.count_nonzero(d)}/{d.size}")
    print(f"{len(images) - failed}/{len(images)} images ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
