#!/usr/bin/env bash
# tests/deps.sh run|test|team - install the Debian packages toolprof needs.
#
#   run   what building and serving need: a C compiler, pkg-config, the
#         -dev packages of SQLite, cJSON, zlib, libmicrohttpd, libnghttp2
#         (OTLP/gRPC) and libcurl (the ClickHouse store and push; the last
#         three are loaded with dlopen like libmicrohttpd), and node + npm
#         (the dashboard's Chart.js and Bootstrap come from npm at build
#         time).
#   test  the above, plus what the tests drive: Debian's Chromium (browser
#         test), promtool (package prometheus, checks /metrics), curl,
#         sqlite3, valgrind (leak check), clang (fuzz targets), iproute2
#         (the reliability tests add a network interface), git (the clone
#         test), strace (the resume test kills imports inside a commit),
#         clickhouse-server (the team tests run a real ClickHouse), tmux (the
#         end-to-end test answers the real client's permission prompts in a
#         terminal).
#   team  run, plus clickhouse-server and chromium (what tests/team/run.sh
#         needs: a real ClickHouse, and the dashboard in Chromium).
#
# Only missing packages are installed, with apt-get as root (or through sudo).
# npm packages are installed by the Makefile and the test runners from their
# lock files.
set -eu
mode=${1:-run}
pkgs=(gcc make pkg-config libsqlite3-dev libcjson-dev zlib1g-dev libmicrohttpd-dev libnghttp2-dev libcurl4-openssl-dev nodejs npm)
if [ "$mode" = test ]; then
  pkgs+=(chromium prometheus curl sqlite3 valgrind clang libclang-rt-14-dev iproute2 git strace
    tmux clickhouse-server)
elif [ "$mode" = team ]; then
  pkgs+=(clickhouse-server chromium)
fi

missing=()
for p in "${pkgs[@]}"; do
  # A command that is already there (node from another source) is enough.
  case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    gcc) command -v gcc >/dev/null 2>&1 && continue ;;
    make) command -v make >/dev/null 2>&1 && continue ;;
    clang) command -v clang >/dev/null 2>&1 && continue ;;
    git) command -v git >/dev/null 2>&1 && continue ;;
  esac
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=sudo
  else
    echo "deps: need root to install: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
