#!/bin/sh
# deps.sh — install what a fresh Debian 12 machine lacks to build and test nabla (apt, as root).
# Usage: tools/deps.sh [--data]   (--data also installs the Fashion-MNIST dataset package)
set -e
pkgs="meson ninja-build libstb-dev zlib1g-dev pkg-config gcc"
[ "$1" = "--data" ] && pkgs="$pkgs dataset-fashion-mnist"
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
