#!/usr/bin/env bash
# Self-contained linux-x64 publish of the worker, of Bench and of the device tests, for a GPU machine without the .NET SDK:
#   Bench/publish-gpu.sh [OUT]          (default OUT: publish/linux-x64, ignored by git)
# gives OUT/worker/Worker, OUT/bench/Bench and OUT/devices.tests/Devices.Tests (the device tests as a self-running xunit
# program), each with the .NET runtime and ILGPU beside it. Neither is trimmed:
# ILGPU compiles kernels from their IL at run time and needs the full assemblies. The GPU machine needs only the
# NVIDIA driver (libcuda.so); ILGPU brings its own PTX backend, so no CUDA toolkit is needed. The dense GEMMs go through
# cuBLAS when libcublas.so.12 is on the loader path (CUDA 12 toolkit or the nvidia-cublas-cu12 wheel), else through
# ILGPU kernels (DT_DEVICE_GEMM, README "GPU workers").
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-publish/linux-x64}
for project in Worker Bench Devices.Tests; do
  dotnet publish "$project/$project.csproj" -c Release -r linux-x64 --self-contained true \
    -p:PublishTrimmed=false -o "$out/$(echo "$project" | tr '[:upper:]' '[:lower:]')"
done
# Bench's Python twins and the reference specs travel with it: gpu-check.sh runs PyTorch beside it.
cp -r examples "$out/bench/"
echo "published: $out/worker/Worker, $out/bench/Bench and $out/devices.tests/Devices.Tests (self-contained linux-x64)"
