#!/usr/bin/env bash
# Makes a camera-sized (4000x3000, 12 megapixel) JPEG for benchmarks from one of
# the sample photographs: Lanczos upscale, a light unsharp mask and fine
# luminance grain, so the result compresses like a real photo, not a flat one.
# Usage: examples/make-large.sh OUT.jpg [SOURCE]   (needs the vips CLI, libvips-tools)
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 OUT.jpg [SOURCE]" >&2
    exit 2
fi
command -v vips >/dev/null || { echo "$0: vips not found (apt-get install libvips-tools)" >&2; exit 1; }

out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${2:-$here/images/bleached-wooden-deck.jpg}
width=4000
height=3000

tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-large.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Upright, sRGB copy of the source (honours an EXIF Orientation tag).
vips autorot "$src" "$tmp/upright.v"
src_w=$(vipsheader -f width "$tmp/upright.v")
src_h=$(vipsheader -f height "$tmp/upright.v")

# Scale so the image covers width x height, then crop the centre.
scale=$(awk -v w="$src_w" -v h="$src_h" -v W="$width" -v H="$height" \
    'BEGIN { s = W / w; if (H / h > s) s = H / h; printf "%.6f", s * 1.0005 }')
vips resize "$tmp/upright.v" "$tmp/big.v" "$scale" --kernel lanczos3
big_w=$(vipsheader -f width "$tmp/big.v")
big_h=$(vipsheader -f height "$tmp/big.v")
vips extract_area "$tmp/big.v" "$tmp/crop.v" \
    $(((big_w - width) / 2)) $(((big_h - height) / 2)) "$width" "$height"

# Light unsharp mask, as a camera's in-body processing would apply.
vips sharpen "$tmp/crop.v" "$tmp/sharp.v" --sigma 1.2 --m2 2
vips cast "$tmp/sharp.v" "$tmp/sharp8.v" uchar

# Fixed-seed luminance grain (sigma 5 levels), added to every band, clipped to 0..255.
vips gaussnoise "$tmp/noise.v" "$width" "$height" --mean 0 --sigma 5 --seed 42
vips cast "$tmp/noise.v" "$tmp/noise8.v" char
vips add "$tmp/sharp8.v" "$tmp/noise8.v" "$tmp/grain.v"
vips cast "$tmp/grain.v" "$tmp/final.v" uchar

vips jpegsave "$tmp/final.v" "$out" --Q 85
vipsheader "$out"
