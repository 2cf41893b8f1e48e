#!/bin/sh
# deps.sh — install what a fresh Debian 12 machine lacks to build and test nabla (apt, as root).
# Usage: tools/deps.sh [--data] [--playground]   (--data: the Fashion-MNIST dataset package;
# --playground: emscripten and chromium for the browser playground, and node/npm where missing)
set -e
pkgs="meson ninja-build libstb-dev zlib1g-dev pkg-config gcc openmpi-bin libopenmpi-dev"   # MPI: dist/
for a in "$@"; do
  [ "$a" = "--data" ] && pkgs="$pkgs dataset-fashion-mnist"
  [ "$a" = "--playground" ] && pkgs="$pkgs emscripten chromium" && ! command -v npm >/dev/null && pkgs="$pkgs nodejs npm"
done
missing=""
for p in $pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "nabla needs:$missing — run as root or: sudo apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
