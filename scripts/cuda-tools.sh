#!/usr/bin/env bash
# Fetches NVIDIA's runtime compiler (libnvrtc) and PTX assembler (ptxas) from PyPI, once, into
# ~/.cache/gpux-cuda-12.4, and prints the exports that let the worker's tests compile and
# assemble its CUDA kernels on a machine with neither a GPU nor a CUDA toolkit:
#   tools=$(scripts/cuda-tools.sh) && eval "$tools"
# The wheels are pinned by version and sha256.
set -euo pipefail

dir="${GPUX_CUDA_TOOLS:-$HOME/.cache/gpux-cuda-12.4.127-12.4.131}"
nvrtc="$dir/nvidia/cuda_nvrtc/lib"
ptxas="$dir/nvidia/cuda_nvcc/bin/ptxas"
if [ ! -x "$ptxas" ] || [ ! -f "$nvrtc/libnvrtc.so.12" ]; then
	printf '\033[1mcuda-tools:\033[0m fetching libnvrtc and ptxas 12.4 from PyPI\n' >&2
	tmp="$(mktemp -d "${dir}.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	python3 - "$tmp" <<'PY'
import hashlib, io, json, sys, urllib.request, zipfile
dest = sys.argv[1]
WHEELS = [
    ("nvidia-cuda-nvrtc-cu12", "12.4.127", "a178759ebb095827bd30ef56598ec182b85547f1508941a3d560eb7ea1fbf338"),
    ("nvidia-cuda-nvcc-cu12", "12.4.131", "e4c9a35435c3b0e36c6397c5696334c9ea6650e524736cbd1c5d345ea099bb04"),
]
for name, version, sha256 in WHEELS:
    index = urllib.request.Request(
        f"https://pypi.org/simple/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(index, timeout=60) as r:
        files = json.load(r)["files"]
    filename = f"{name.replace('-', '_')}-{version}-py3-none-manylinux2014_x86_64.whl"
    wheel = next(f for f in files if f["filename"] == filename)
    with urllib.request.urlopen(wheel["url"], timeout=300) as r:
        data = r.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        sys.exit(f"{filename}: sha256 is not the pinned one")
    zipfile.ZipFile(io.BytesIO(data)).extractall(dest)
PY
	chmod +x "$tmp/nvidia/cuda_nvcc/bin/"*
	# cudarc asks for `libnvrtc.so` before `libnvrtc.so.12`: this one, not a system toolkit's.
	ln -sf libnvrtc.so.12 "$tmp/nvidia/cuda_nvrtc/lib/libnvrtc.so"
	rm -rf "$dir"
	mv "$tmp" "$dir"
fi
printf 'export LD_LIBRARY_PATH=%q\n' "$nvrtc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
printf 'export GPUX_PTXAS=%q\n' "$ptxas"
