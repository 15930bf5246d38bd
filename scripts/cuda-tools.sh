#!/usr/bin/env bash
# Fetches NVIDIA's runtime compiler (libnvrtc) and PTX assembler (ptxas) from PyPI, once, into
# ~/.cache/gpux-cuda-12.4, and prints the exports that let the worker's tests compile and
# assemble its CUDA kernels on a machine with neither a GPU nor a CUDA toolkit:
#   eval "$(scripts/cuda-tools.sh)"
# The wheels are checked against PyPI's sha256 before they are unpacked.
set -euo pipefail

dir="${GPUX_CUDA_TOOLS:-$HOME/.cache/gpux-cuda-12.4}"
nvrtc="$dir/nvidia/cuda_nvrtc/lib"
ptxas="$dir/nvidia/cuda_nvcc/bin/ptxas"
if [ ! -x "$ptxas" ] || [ ! -f "$nvrtc/libnvrtc.so.12" ]; then
	printf '\033[1mcuda-tools:\033[0m fetching libnvrtc and ptxas 12.4 from PyPI\n' >&2
	python3 - "$dir" <<'PY'
import hashlib, io, json, sys, urllib.request, zipfile
dest = sys.argv[1]
for name, version in [("nvidia-cuda-nvrtc-cu12", "12.4.127"), ("nvidia-cuda-nvcc-cu12", "12.4.131")]:
    index = urllib.request.Request(
        f"https://pypi.org/simple/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(index, timeout=60) as r:
        files = json.load(r)["files"]
    wheel = next(
        f for f in files if f["filename"].endswith(f"-{version}-py3-none-manylinux2014_x86_64.whl")
    )
    with urllib.request.urlopen(wheel["url"], timeout=300) as r:
        data = r.read()
    if hashlib.sha256(data).hexdigest() != wheel["hashes"]["sha256"]:
        sys.exit(f"{wheel['filename']}: sha256 differs from PyPI's")
    zipfile.ZipFile(io.BytesIO(data)).extractall(dest)
PY
	chmod +x "$dir/nvidia/cuda_nvcc/bin/"*
fi
echo "export LD_LIBRARY_PATH=$nvrtc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "export GPUX_PTXAS=$ptxas"
