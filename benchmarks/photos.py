"""Memory and time of cleaning photos (grids/photos.py) as a report's upload does.

    .venv/bin/python benchmarks/photos.py            # 48 MP JPEG, 49 MP PNG, 9 MP WebP, nine at once
    .venv/bin/python benchmarks/photos.py --small    # the same shapes at a few megapixels (the suite runs it)

The pictures are made first and written to a temporary folder. Each case then runs in a
fresh Python process, which imports Django and reads the files before it measures, so one
case's memory cannot hide in another's. Per case it prints the time to clean, the memory
added at peak (the process's resident high-water mark, VmHWM, less its resident size just
before: everything, Pillow's pixel buffers and libjpeg's included) and the peak of
Python's own heap from tracemalloc (which does not see Pillow's buffers).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

MB = 1024 * 1024


def phone_jpeg(size: tuple[int, int]) -> bytes:
    """A textured picture as a phone stores it: JPEG, EXIF orientation and GPS, an ICC profile."""
    from PIL import Image, ImageCms

    small = Image.merge(
        "RGB",
        [Image.effect_noise((size[0] // 12, size[1] // 12), sigma).convert("L") for sigma in (40, 60, 80)],
    )
    picture = small.resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825)[2] = (23.0, 7.0, 30.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88, exif=exif, icc_profile=icc)
    return out.getvalue()


def phone_webp(size: tuple[int, int]) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(phone_jpeg(size))) as picture:
        out = io.BytesIO()
        picture.save(out, "WEBP", quality=80, method=0)
    return out.getvalue()


def flat_png(size: tuple[int, int]) -> bytes:
    """Many pixels in few bytes: one grey, which deflate squeezes a thousandfold."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", size, 128).save(out, "PNG")
    return out.getvalue()


# (name, kind of file, how many of it in one report)
CASES = [
    ("one JPEG", "jpeg", 1),
    ("one PNG", "png", 1),
    ("one WebP", "webp", 1),
    ("nine JPEGs in one report", "jpeg", 9),
    ("nine PNGs in one report", "png", 9),
]
SIZES = {
    False: {"jpeg": (8000, 6000), "png": (7000, 7000), "webp": (4000, 2250)},
    True: {"jpeg": (1600, 1200), "png": (2000, 2000), "webp": (1600, 1200)},
}
MAKERS = {"jpeg": phone_jpeg, "png": flat_png, "webp": phone_webp}


def tiny(kind: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, kind)
    return out.getvalue()


def rss(field: str) -> int:
    """VmRSS (now) or VmHWM (high-water mark) of this process in bytes, from /proc (Linux).

    Not getrusage's ru_maxrss: on Linux a child inherits its parent's high-water mark through
    fork and exec, so a case run from this script would report this script's peak, which
    holds 48-megapixel pictures while making them."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(files: list[str]) -> None:
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grids import photos

    uploads = [SimpleUploadedFile(Path(f).name, Path(f).read_bytes()) for f in files]
    # A server has cleaned a photo before: Pillow's plugins and codecs are loaded.
    photos.clean_photos([SimpleUploadedFile(f"tiny.{kind}", tiny(kind)) for kind in ("JPEG", "PNG", "WEBP")])
    gc.collect()
    before = rss("VmRSS")
    started = time.perf_counter()
    cleaned = photos.clean_photos(uploads)
    seconds = time.perf_counter() - started
    high_water = rss("VmHWM")
    # Python's heap is measured on a second run: tracing every allocation slows the first.
    del cleaned
    gc.collect()
    tracemalloc.start()
    cleaned = photos.clean_photos(uploads)
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before": before,
                "rss_added": max(0, high_water - before),
                "python_peak": python_peak,
                "stored": [f"{p.width}x{p.height}" for p in cleaned],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="a few megapixels, for the test suite")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = SIZES[args.small]
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for kind, size in sizes.items():
            path = Path(folder) / f"photo.{kind}"
            path.write_bytes(MAKERS[kind](size))
            paths[kind] = path
        for name, kind, count in CASES:
            width, height = sizes[kind]
            result = subprocess.run(
                [sys.executable, __file__, "--child", *[str(paths[kind])] * count],
                capture_output=True,
                text=True,
            )
            if result.returncode:
                sys.exit(f"{name}: the measuring process failed\n{result.stderr}")
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(
                f"{name:26s} {count} × {width}×{height} ({width * height / 1e6:.0f} MP, "
                f"{paths[kind].stat().st_size / 1024:,.0f} KB)  {figures['seconds']:6.2f} s  "
                f"memory added {figures['rss_added'] / MB:6.1f} MB  (Python heap {figures['python_peak'] / MB:.1f} MB; "
                f"process {figures['rss_before'] / MB:.0f} MB before)  stored {figures['stored'][0]}"
            )


if __name__ == "__main__":
    main()
