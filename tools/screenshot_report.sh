#!/usr/bin/env bash
# Screenshots of the compare_therapies report on the bundled knee-OA trial, as a reader sees it:
# headless Chromium at desktop width (1280 px) and at an 8.5 cm journal column (321 CSS px).
#
# Needs Chromium (Debian: `apt-get install -y chromium`); installs nothing itself.
#
#   tools/screenshot_report.sh [OUT_DIR]      # default: target/report-screenshots
#
# Writes OUT_DIR/report/ (the report) and OUT_DIR/desktop.png, OUT_DIR/column.png. Look at the
# PNGs: no text may overlap or be cut off, wide tables scroll inside their box, every figure
# is readable at both widths.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/report-screenshots}
mkdir -p "$out"
out=$(cd "$out" && pwd)
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "chromium not found; install it with: apt-get install -y chromium" >&2
  exit 1
fi
cargo run --quiet --example compare_therapies -- --out "$out/report" >/dev/null
page="file://$out/report/report.html"
# width x height: a tall window captures the whole page (the height is a ceiling; the rest is
# white). 8.5 cm at 96 CSS px per inch = 321 px.
shoot() {
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --force-device-scale-factor=1 --window-size="$1" --screenshot="$2" "$page" \
    >/dev/null 2>&1
  echo "$2"
}
shoot 1280,20000 "$out/desktop.png"
shoot 321,30000 "$out/column.png"
