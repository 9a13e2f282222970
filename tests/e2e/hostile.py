"""The hostile image corpus: decompression bombs, lying headers, huge EXIF,
CMYK, 16-bit, grey and alpha PNGs and JPEGs, progressive JPEGs, files that
are not images. make(folder) writes it and returns, per file name, what
photopub must do with it: "post" (a correct copy) or "quarantine".

Used by tests/e2e/test_hostile_images.py and bench/bench_hostile.py. Needs
Pillow (Debian's python3-pil) and /usr/bin/python3."""

import io
import os
import struct
import zlib

from PIL import Image

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "images")


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_raw(path, w, h, colour_type, depth, sample):
    """A PNG written row by row (so a 30000x30000 one needs no memory):
    every sample `sample` (an int of `depth` bits)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    one = sample.to_bytes(depth // 8, "big") if depth >= 8 else bytes([sample])
    row = b"\0" + one * (channels * w)
    c = zlib.compressobj(9)
    parts = [c.compress(row) for _ in range(h)] if h < 2000 else None
    if parts is None:  # identical rows: compress in batches
        parts, batch = [], row * 64
        for _ in range(h // 64):
            parts.append(c.compress(batch))
        parts.append(c.compress(row * (h % 64)))
    parts.append(c.flush())
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts))
                + _chunk(b"IEND", b""))


def sof_liar(jpeg, size=10000):
    d = bytearray(jpeg)
    i = 2
    while i < len(d):
        marker, length = d[i + 1], int.from_bytes(d[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            d[i + 5:i + 9] = size.to_bytes(2, "big") * 2
            return bytes(d)
        i += 2 + length
    raise ValueError("no SOF marker")


def with_segments(jpeg, segments):
    """jpeg with the given (marker, payload) segments right after SOI."""
    extra = b"".join(b"\xff" + bytes([m]) + struct.pack(">H", len(p) + 2) + p for m, p in segments)
    return jpeg[:2] + extra + jpeg[2:]


def hostile_exif():
    """An APP1 Exif block whose IFD claims 65535 entries pointing far outside
    the block, padded to the 64 KB a segment can hold."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0xFFFF)
    entry = struct.pack("<HHII", 0x8769, 4, 0xFFFFFFFF, 0x7FFFFFF0)  # ExifIFD pointer, far away
    body = tiff + entry * 4000
    return b"Exif\x00\x00" + body[:65533 - 6]


def jpeg_bytes(im, **kw):
    b = io.BytesIO()
    im.save(b, "JPEG", **kw)
    return b.getvalue()


def make(folder, bombs=True):
    os.makedirs(folder, exist_ok=True)
    cat = open(os.path.join(EXAMPLES, "tabby-cat-closeup.jpg"), "rb").read()
    photo = Image.open(io.BytesIO(cat)).convert("RGB")
    out = {}

    def put(name, data, what):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        out[name] = what

    def save(name, im, what, **kw):
        im.save(os.path.join(folder, name), **kw)
        out[name] = what

    # pixels in every layout a camera, an editor or a hand can produce
    red = Image.new("RGB", (640, 480), (200, 40, 40))
    save("cmyk.jpg", red.convert("CMYK"), "post", quality=92)
    save("progressive.jpg", photo, "post", progressive=True, quality=90)
    save("grey.jpg", Image.new("L", (500, 300), 90), "post")
    save("grey.png", Image.new("L", (500, 300), 90), "post")
    png_raw(os.path.join(folder, "grey16.png"), 400, 300, 0, 16, 0x8000)
    out["grey16.png"] = "post"
    png_raw(os.path.join(folder, "rgb16.png"), 400, 300, 2, 16, 0x4000)
    out["rgb16.png"] = "post"
    half = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    half.paste(Image.new("RGBA", (200, 200), (20, 40, 220, 255)), (200, 0))
    save("alpha.png", half, "post")
    save("grey-alpha.png", Image.new("LA", (300, 300), (60, 128)), "post")
    pal = Image.new("P", (300, 200), 1)
    pal.putpalette([255, 255, 255, 30, 160, 60] + [0] * 762)
    save("palette.png", pal, "post", transparency=0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    save("rotated.jpg", Image.new("RGB", (400, 200), (40, 160, 200)), "post", exif=exif.tobytes())
    put("huge-exif.jpg", with_segments(cat, [(0xE1, hostile_exif())] +
                                       [(0xE2, b"ICC_PROFILE\x00" + os.urandom(60000))] +
                                       [(0xED, os.urandom(65000)) for _ in range(60)]), "post")

    # not images, or lying about themselves
    put("empty.jpg", b"", "quarantine")
    put("truncated.jpg", cat[:3000], "quarantine")
    put("notes.jpg", b"film, fixer, stop bath\n" * 30, "quarantine")
    put("liar.jpg", sof_liar(cat), "quarantine")
    put("svg.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', "quarantine")
    ihdr = struct.pack(">IIBBBBB", 0, 0, 8, 0, 0, 0, 0)
    put("zero.png", b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IEND", b""), "quarantine")
    put("progressive-liar.jpg", sof_liar(jpeg_bytes(photo, progressive=True), 40000),
        "quarantine")

    if bombs:
        # 900 megapixels in under a megabyte: refused from its header
        png_raw(os.path.join(folder, "bomb-30000.png"), 30000, 30000, 0, 8, 0x80)
        out["bomb-30000.png"] = "quarantine"
        # 144 megapixels that stream: decoded with bounded memory
        png_raw(os.path.join(folder, "big-12000.png"), 12000, 12000, 0, 8, 0x80)
        out["big-12000.png"] = "post"
        # a progressive JPEG cannot stream: 12000x12000 would hold 800 MB
        flat = Image.new("RGB", (12000, 12000), (120, 130, 140))
        save("bomb-progressive.jpg", flat, "quarantine", progressive=True, quality=90,
             subsampling=0)
        save("big-baseline.jpg", flat, "post", quality=90)
        del flat
    return out


def expected_view(path):
    """(width, height, rgb) of the picture as it should be displayed: EXIF
    orientation applied, alpha flattened on white, 16-bit scaled; rgb is
    the mean colour."""
    im = Image.open(path)
    w, h = im.size
    orient = im.getexif().get(0x0112, 1)
    if orient in (5, 6, 7, 8):
        w, h = h, w
    if im.mode in ("I;16", "I;16B", "I"):
        im = im.point(lambda v: v / 256).convert("L")
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA"):
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im.convert("RGBA"))
    small = im.convert("RGB").resize((32, 32))
    px = list(small.getdata())
    mean = tuple(sum(p[i] for p in px) / len(px) for i in range(3))
    return w, h, mean
