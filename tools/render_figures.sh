#!/bin/sh
# Renders every SVG of a folder to PNG with headless Chromium, at one journal column
# (321 px = 8.5 cm at 96 dpi) and at full page width (900 px), to look at what a reader sees.
#
#   cargo run --example figures -- --out target/figures
#   sh tools/render_figures.sh target/figures            # writes target/figures/png/*.png
#   SCALE=2 sh tools/render_figures.sh target/figures    # twice the pixels (print-like)
#
# Needs `chromium` (Debian: apt-get install chromium). Each SVG is placed in a small HTML page
# at the given width (height from its viewBox), as a report would embed it.
set -eu
dir=${1:?usage: render_figures.sh FOLDER_WITH_SVGS}
scale=${SCALE:-1}
browser=${CHROMIUM:-chromium}
out="$dir/png"
mkdir -p "$out"
for svg in "$dir"/*.svg; do
    name=$(basename "$svg" .svg)
    # viewBox="0 0 W H"
    vb=$(sed -n 's/.*viewBox="0 0 \([0-9.]*\) \([0-9.]*\)".*/\1 \2/p' "$svg" | head -n 1)
    vw=${vb% *}
    vh=${vb#* }
    for width in 321 900; do
        height=$(awk -v w="$width" -v vw="$vw" -v vh="$vh" 'BEGIN { printf "%d", w * vh / vw + 1 }')
        page="$out/$name-$width.html"
        {
            echo '<!doctype html><html><head><meta charset="utf-8">'
            echo '<style>html,body{margin:0;padding:0;background:#fff}'
            echo "img{display:block;width:${width}px;height:auto}</style></head><body>"
            echo "<img src=\"../$name.svg\" alt=\"$name\">"
            echo '</body></html>'
        } > "$page"
        "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --force-device-scale-factor="$scale" --window-size="$width,$height" \
            --screenshot="$out/$name-$width.png" "file://$(realpath "$page")" \
            > /dev/null 2>&1
        rm -f "$page"
    done
done
ls "$out"
