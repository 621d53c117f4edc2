#!/usr/bin/env python3
"""Thumbnail benchmark: ours (gallery-bench-thumbnails) against libvips in-process (pyvips),
the vipsthumbnail command and Pillow's thumbnail(), side by side in one run.

Every method makes the same derivatives from the same photos, one thread: a preview (longest
edge 1280) from the original, a thumbnail (320) from the preview, both WebP at the same
quality, metadata stripped. Each method runs in its own process, so peak RSS is its own.
Quality is PSNR against a full-resolution Lanczos reference (Pillow LANCZOS on the full
decode), measured on the WebP outputs and, in a separate lossless run, on the resize alone.

Run through bench/thumbnails/run.sh, which builds the Swift side first.
"""
import argparse
import glob
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TESTDATA = os.environ.get("GALLERY_TESTDATA") or os.path.join(ROOT, "Tests", "Fixtures")
METHODS = ["ours", "vips", "vipsthumbnail", "pillow"]
# One job each, in a fresh process, for peak memory: progressive files make libjpeg keep
# every DCT coefficient (2-3 bytes a pixel) whatever the output size; baseline ones do not.
MEMORY_PHOTOS = [
    (os.path.join(TESTDATA, "photos/albums/text/craft-beer.jpg"), "24 MP, progressive"),
    (os.path.join(TESTDATA, "photos/metadata/gps-position/empty_gps.jpg"), "16 MP, baseline"),
]
LABELS = {
    "ours": "ours (libjpeg-turbo + libgd)",
    "vips": "libvips in-process (pyvips)",
    "vipsthumbnail": "vipsthumbnail (CLI)",
    "pillow": "Pillow thumbnail()",
}


def name_of(path):
    return os.path.splitext(os.path.basename(path))[0]


def proc_status_kb(field):
    """VmRSS (now) or VmHWM (peak) of this process. Unlike ru_maxrss, which Linux carries
    across exec from the process that forked (the driver, when it holds reference images),
    these belong to this program alone."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def usage_now():
    """CPU seconds so far, RSS now, peak RSS so far (KB)."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime, proc_status_kb("VmRSS"), proc_status_kb("VmHWM")


# --- workers: run in a child process, print one JSON line -----------------------------------

def work_vips(args):
    os.environ["VIPS_CONCURRENCY"] = "1"
    import pyvips
    # The operation cache would answer repeated rounds without decoding again.
    pyvips.cache_set_max(0)
    pyvips.cache_set_max_mem(0)
    pyvips.cache_set_max_files(0)
    pyvips.concurrency_set(1)
    save = dict(lossless=True) if args.quality > 100 else dict(Q=args.quality)
    cpu0, rss0, _ = usage_now()
    wall0 = time.perf_counter()
    n = 0
    for r in range(args.rounds):
        for f in args.files:
            preview = pyvips.Image.thumbnail(f, args.preview, height=args.preview, size="down").copy_memory()
            a = preview.webpsave_buffer(strip=True, **save)
            thumb = preview.thumbnail_image(args.thumbnail, height=args.thumbnail, size="down")
            b = thumb.webpsave_buffer(strip=True, **save)
            n += 1
            if r == args.rounds - 1:
                write_outputs(args.out, f, a, b)
    return finish(n, wall0, cpu0, rss0)


def work_pillow(args):
    from PIL import Image, ImageOps
    save = dict(lossless=True) if args.quality > 100 else dict(quality=args.quality)
    cpu0, rss0, _ = usage_now()
    wall0 = time.perf_counter()
    n = 0
    for r in range(args.rounds):
        for f in args.files:
            with Image.open(f) as im:
                # thumbnail() uses JPEG draft mode (DCT scaling) and reducing_gap=2.0 itself.
                im.thumbnail((args.preview, args.preview), Image.LANCZOS)
                preview = ImageOps.exif_transpose(im).convert("RGB")
            a = io.BytesIO()
            preview.save(a, "WEBP", **save)
            thumb = preview.copy()
            thumb.thumbnail((args.thumbnail, args.thumbnail), Image.LANCZOS)
            b = io.BytesIO()
            thumb.save(b, "WEBP", **save)
            n += 1
            if r == args.rounds - 1:
                write_outputs(args.out, f, a.getvalue(), b.getvalue())
    return finish(n, wall0, cpu0, rss0)


def write_outputs(out, source, preview, thumbnail):
    with open(os.path.join(out, name_of(source) + ".preview.webp"), "wb") as fh:
        fh.write(preview)
    with open(os.path.join(out, name_of(source) + ".thumbnail.webp"), "wb") as fh:
        fh.write(thumbnail)


def finish(n, wall0, cpu0, rss0):
    wall = time.perf_counter() - wall0
    cpu1, _, peak = usage_now()
    return dict(images=n, seconds=wall, cpu_seconds=cpu1 - cpu0, start_rss_kb=rss0, peak_rss_kb=peak)


# --- the driver ------------------------------------------------------------------------------

def run_method(method, files, rounds, quality, out, opts):
    os.makedirs(out, exist_ok=True)
    sizes = ["--preview", str(opts.preview), "--thumbnail", str(opts.thumbnail), "--quality", str(quality)]
    if method == "ours":
        cmd = [opts.ours, "--rounds", str(rounds), "--out", out] + sizes + files
        return run_child(cmd)
    if method in ("vips", "pillow"):
        cmd = [sys.executable, __file__, "--worker", method, "--rounds", str(rounds), "--out", out] + sizes + files
        return run_child(cmd)
    # vipsthumbnail: one process per derivative, the thumbnail made from the preview file.
    env = dict(os.environ, VIPS_CONCURRENCY="1")
    opt = "[lossless,strip]" if quality > 100 else "[Q=%d,strip]" % quality
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    n = 0
    for r in range(rounds):
        for f in files:
            base = os.path.join(out, name_of(f))
            subprocess.run(["vipsthumbnail", f, "-s", "%dx%d>" % (opts.preview, opts.preview),
                            "-o", base + ".preview.webp" + opt], check=True, env=env)
            subprocess.run(["vipsthumbnail", base + ".preview.webp", "-s", "%dx%d>" % (opts.thumbnail, opts.thumbnail),
                            "-o", base + ".thumbnail.webp" + opt], check=True, env=env)
            n += 1
    wall = time.perf_counter() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # RUSAGE_CHILDREN's maxrss is the largest of any child so far, so each vipsthumbnail run
    # is measured on its own. Its ru_maxrss includes the driver's RSS when it forked, which
    # is small while timing runs (the reference images come later).
    peak = max(child_peak(["vipsthumbnail", f, "-s", "%dx%d>" % (opts.preview, opts.preview),
                           "-o", os.path.join(out, "rss-probe.webp") + opt], env) for f in files)
    return dict(images=n, seconds=wall, cpu_seconds=cpu, start_rss_kb=0, peak_rss_kb=peak)


def child_peak(cmd, env=None):
    proc = subprocess.Popen(cmd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit("failed: %s" % " ".join(cmd))
    return usage.ru_maxrss


def full_decode_worker(path):
    from PIL import Image
    _, rss0, _ = usage_now()
    with Image.open(path) as im:
        im.load()
    _, _, peak = usage_now()
    return dict(start_rss_kb=rss0, peak_rss_kb=peak)


def single_job_memory(photos, opts):
    """Peak RSS of one job on one photo, each in a fresh process, beside a plain full decode
    (Pillow's, into 8-bit RGB) of the same file."""
    lines = ["| one job, fresh process | method | peak RSS | before the image | the job's own |",
             "|---|---|---:|---:|---:|"]
    out = os.path.join(opts.out, "single")
    os.makedirs(out, exist_ok=True)
    for photo, description in photos:
        rows = {}
        for m in ("ours", "vips", "pillow"):
            if m in opts.methods.split(","):
                rows[LABELS[m]] = run_method(m, [photo], 1, opts.quality, out, opts)
        rows["full decode only (Pillow load())"] = run_child(
            [sys.executable, __file__, "--worker", "full-decode", photo])
        for label, r in rows.items():
            lines.append("| %s (%s) | %s | %.0f MB | %.0f MB | %.0f MB |" % (
                os.path.basename(photo), description, label, r["peak_rss_kb"] / 1024, r["start_rss_kb"] / 1024,
                (r["peak_rss_kb"] - r["start_rss_kb"]) / 1024))
    return "\n".join(lines)


def run_child(cmd):
    proc = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mse(a, b):
    import numpy as np
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def db(value):
    return "exact" if value == float("inf") else "%.2f dB" % value


def psnr_of(mean_squared_error):
    import math
    return float("inf") if mean_squared_error == 0 else 10 * math.log10(255.0 ** 2 / mean_squared_error)


class References:
    """Pillow LANCZOS from the full decode, upright, at whatever size an output has."""

    def __init__(self):
        self.full = {}

    def get(self, source, size):
        from PIL import Image, ImageOps
        import numpy as np
        if source not in self.full:
            self.full.clear()  # one full decode in memory at a time
            with Image.open(source) as im:
                im.load()
                self.full[source] = ImageOps.exif_transpose(im).convert("RGB")
        return np.asarray(self.full[source].resize(size, Image.LANCZOS))


def measure_quality(refs, files, out):
    """PSNR over the set: from the mean squared error of all its images pooled, so that one
    image identical to its reference does not make the set's figure infinite."""
    from PIL import Image
    import numpy as np
    errors = {"preview": [], "thumbnail": []}
    preview_bytes = 0
    for f in files:
        for kind in errors:
            path = os.path.join(out, name_of(f) + "." + kind + ".webp")
            with Image.open(path) as im:
                pixels = np.asarray(im.convert("RGB"))
            errors[kind].append(mse(pixels, refs.get(f, (pixels.shape[1], pixels.shape[0]))))
            if kind == "preview":
                preview_bytes += os.path.getsize(path)
    return dict(preview=psnr_of(sum(errors["preview"]) / len(files)),
                thumbnail=psnr_of(sum(errors["thumbnail"]) / len(files)),
                preview_kb=preview_bytes / len(files) / 1024)


def montage(photo, outdir, methods, path):
    """The middle of one preview per method at 1:1, beside the reference, labelled."""
    from PIL import Image, ImageDraw
    tiles = []
    refs = References()
    for m in methods:
        im = Image.open(os.path.join(outdir, m, "large", name_of(photo) + ".preview.webp")).convert("RGB")
        tiles.append((LABELS[m], im))
    w, h = tiles[0][1].size
    tiles.insert(0, ("reference: Lanczos on full decode", Image.fromarray(refs.get(photo, (w, h)))))
    cw, ch = 420, 320
    box = (w // 2 - cw // 2, h // 2 - ch // 2, w // 2 + cw // 2, h // 2 + ch // 2)
    sheet = Image.new("RGB", (cw * len(tiles), ch + 24), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, im) in enumerate(tiles):
        sheet.paste(im.resize((w, h)).crop(box), (i * cw, 24))
        draw.text((i * cw + 6, 6), label, fill="black")
    sheet.save(path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--worker", choices=["vips", "pillow", "full-decode"], help=argparse.SUPPRESS)
    p.add_argument("--ours", help="the gallery-bench-thumbnails binary")
    p.add_argument("--preview", type=int, default=1280)
    p.add_argument("--thumbnail", type=int, default=320)
    p.add_argument("--quality", type=int, default=80)
    p.add_argument("--rounds", type=int, help="rounds per timing run (default 2 large, 10 small)")
    p.add_argument("--repeat", type=int, default=3, help="timing runs per method, interleaved; the best counts")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--no-lossless", action="store_true", help="skip the lossless run (resize-only PSNR)")
    p.add_argument("--memory-only", action="store_true", help="only the one-job memory table")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "thumbnails"))
    p.add_argument("files", nargs="*")
    args = p.parse_args()

    if args.worker:
        args.rounds = args.rounds or 1
        workers = dict(vips=work_vips, pillow=work_pillow, full_decode=lambda a: full_decode_worker(a.files[0]))
        print(json.dumps(workers[args.worker.replace("-", "_")](args)))
        return

    methods = args.methods.split(",")
    if args.memory_only:
        print(single_job_memory(MEMORY_PHOTOS, args))
        return
    sets = {
        "large": (sorted(glob.glob(os.path.join(TESTDATA, "photos/albums/text/*.jpg"))), args.rounds or 2),
        "small": (sorted(glob.glob(os.path.join(TESTDATA, "photos/albums/nature/*.jpg"))), args.rounds or 10),
    }
    best = {}
    runs = {}  # every run's (images/s, images/CPU-s), in order: the repeats are interleaved
    for set_name, (files, rounds) in sets.items():
        if not files:
            raise SystemExit("no photos under %s" % TESTDATA)
        for repeat in range(args.repeat):
            for m in methods:
                out = os.path.join(args.out, m, set_name)
                r = run_method(m, files, rounds, args.quality, out, args)
                key = (set_name, m)
                b = best.setdefault(key, dict(r))
                b["seconds"] = min(b["seconds"], r["seconds"])
                b["cpu_seconds"] = min(b["cpu_seconds"], r["cpu_seconds"])
                b["peak_rss_kb"] = max(b["peak_rss_kb"], r["peak_rss_kb"])
                runs.setdefault(key, []).append((r["images"] / r["seconds"], r["images"] / r["cpu_seconds"]))
                print("%-5s %-14s run %d: %5.2f img/s wall, %5.2f img/CPU-s, peak %5.1f MB" % (
                    set_name, m, repeat + 1, r["images"] / r["seconds"], r["images"] / r["cpu_seconds"],
                    r["peak_rss_kb"] / 1024), file=sys.stderr)

    single = single_job_memory(MEMORY_PHOTOS, args)

    refs = References()
    for set_name, (files, _) in sets.items():
        for m in methods:
            out = os.path.join(args.out, m, set_name)
            best[(set_name, m)]["quality"] = measure_quality(refs, files, out)
            if not args.no_lossless:
                lossless = os.path.join(args.out, m, set_name + "-lossless")
                run_method(m, files, 1, 101, lossless, args)
                best[(set_name, m)]["lossless"] = measure_quality(refs, files, lossless)

    lines = ["| set | method | images/s | images/CPU-s | peak RSS | PSNR preview | PSNR thumbnail | "
             "PSNR preview, resize only | preview size |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for set_name, (files, _) in sets.items():
        for m in methods:
            b = best[(set_name, m)]
            q = b["quality"]
            lossless = db(b["lossless"]["preview"]) if "lossless" in b else "–"
            lines.append("| %s (%d) | %s | %.2f | %.2f | %.0f MB | %s | %s | %s | %.0f KB |" % (
                set_name, len(files), LABELS[m], b["images"] / b["seconds"], b["images"] / b["cpu_seconds"],
                b["peak_rss_kb"] / 1024, db(q["preview"]), db(q["thumbnail"]), lossless, q["preview_kb"]))
    if "ours" in methods and "vips" in methods:
        lines.append("")
        for set_name in sets:
            o, v = best[(set_name, "ours")], best[(set_name, "vips")]
            lines.append("%s set, ours vs libvips in-process: %.2f× images/s (%.2f× per CPU-second), %.2f× peak RSS, "
                         "PSNR %+.2f dB (resize only %s)" % (
                             set_name, (o["images"] / o["seconds"]) / (v["images"] / v["seconds"]),
                             (o["images"] / o["cpu_seconds"]) / (v["images"] / v["cpu_seconds"]),
                             o["peak_rss_kb"] / v["peak_rss_kb"], o["quality"]["preview"] - v["quality"]["preview"],
                             "%+.2f dB" % (o["lossless"]["preview"] - v["lossless"]["preview"])
                             if "lossless" in o and o["lossless"]["preview"] != float("inf") else "–"))
            # Best against best favours whichever method had the quietest moment on a shared
            # machine; the ratio within each interleaved repeat, run next to each other, does not.
            pairs = list(zip(runs[(set_name, "ours")], runs[(set_name, "vips")]))
            wall = sorted(a[0] / b[0] for a, b in pairs)
            cpu = sorted(a[1] / b[1] for a, b in pairs)
            lines.append("%s set, ours vs libvips in-process repeat by repeat (%d interleaved pairs): median %.2f× "
                         "images/s (%.2f–%.2f), median %.2f× per CPU-second (%.2f–%.2f)" % (
                             set_name, len(pairs), statistics.median(wall), wall[0], wall[-1],
                             statistics.median(cpu), cpu[0], cpu[-1]))
    lines += ["", single]
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(args.out, "results.md"), "w") as fh:
        fh.write(table + "\n")
    large = sets["large"][0]
    photo = next((f for f in large if "handwritten" in f), large[0])
    montage(photo, args.out, methods, os.path.join(args.out, "montage.png"))
    print("\nmontage: %s" % os.path.join(args.out, "montage.png"))


if __name__ == "__main__":
    main()
