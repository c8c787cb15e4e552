#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: the device kernel tests on the real GPU, then `Bench train --device cuda` beside
# PyTorch on CUDA on the reference MLP and on LeNet-5 (batches 128 and 512), each twice: the dense GEMMs on cuBLAS
# (DT_DEVICE_GEMM=cublas, which fails rather than fall back) and on the ILGPU kernels (DT_DEVICE_GEMM=kernels). Output
# goes to stdout; paste it into docs/BENCHMARKS.md.
#   Bench/gpu-check.sh [PUBLISH_DIR]     (default publish/linux-x64, made by Bench/publish-gpu.sh)
# Needs: the NVIDIA driver (nvidia-smi, libcuda.so); the self-contained Bench from publish-gpu.sh (no .NET runtime
# needed) and its self-running device tests (or, without them, the .NET 10 SDK for `dotnet test`);
# for the PyTorch column python3 with a CUDA build of torch (PYTHON, default /usr/bin/python3); for the cuBLAS runs
# libcublas.so.12 (CUDA 12 toolkit, or the nvidia-cublas-cu12 wheel PyTorch installs, which is put on LD_LIBRARY_PATH).
set -uo pipefail
cd "$(dirname "$0")/.."
publish=${1:-publish/linux-x64}
python=${PYTHON:-/usr/bin/python3}
status=0

echo "## GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
if ! nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; then
  echo "nvidia-smi failed: no NVIDIA GPU or driver here; nothing to check." >&2
  exit 2
fi

# ILGPU.Algorithms loads libcublas.so.12 (or .11, .10) by name, and the driver does not bring it: if the loader does
# not know one, a CUDA toolkit's or the copy a pip install of PyTorch keeps in site-packages goes on LD_LIBRARY_PATH.
cublas=$(ldconfig -p 2>/dev/null | grep -o 'libcublas\.so\.1[0-2]' | sort -r | head -1)
wheel=$("$python" -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
search=${LD_LIBRARY_PATH:-}
for dir in ${search//:/ } /usr/local/cuda/lib64 $wheel; do
  if [ -z "$cublas" ] && [ -e "$dir/libcublas.so.12" ]; then
    cublas="$dir/libcublas.so.12"
    export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
done
echo "libcublas: ${cublas:-not found (the DT_DEVICE_GEMM=cublas runs fail)}"

# The device tests from the self-contained publish (no SDK needed; they find examples/ by walking up to the repository
# root, so the publish stays inside the checkout), else through dotnet test when an SDK is here.
for gemm in cublas kernels; do
  echo
  echo "### Device kernel tests on cuda:0 (DT_TEST_DEVICE=cuda, DT_DEVICE_GEMM=$gemm)"
  if [ -x "$publish/devices.tests/Devices.Tests" ]; then
    DT_TEST_DEVICE=cuda DT_DEVICE_GEMM=$gemm "$publish/devices.tests/Devices.Tests" \
      -namespace DistributedTrainer.Tests.Devices -noColor -noLogo 2>&1 | tail -25 || status=1
  elif command -v dotnet >/dev/null && dotnet --list-sdks | grep -q '^10\.'; then
    DT_TEST_DEVICE=cuda DT_DEVICE_GEMM=$gemm dotnet test Cluster.Tests/Cluster.Tests.csproj -c Release \
      --filter "FullyQualifiedName~DistributedTrainer.Tests.Devices" 2>&1 | tail -5 || status=1
  else
    echo "NOT RUN: neither $publish/devices.tests/Devices.Tests (Bench/publish-gpu.sh) nor a .NET 10 SDK is here."
    status=1
  fi
done

if [ -x "$publish/bench/Bench" ]; then
  bench=("$publish/bench/Bench")
  workdir="$publish/bench"
else
  echo "No self-contained Bench in $publish (run Bench/publish-gpu.sh); using dotnet run." >&2
  bench=(dotnet run -c Release --project "$PWD/Bench" --)
  workdir=.
fi
torch_flag=()
if ! "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "PyTorch with CUDA is not available to $python: the PyTorch column is not run."
  torch_flag=(--no-pytorch)
fi
# Bench's first line names the GEMM path that ran ("on cuda:0 (NVIDIA ..., N GiB; GEMM: cuBLAS 12.x.y)").
for gemm in cublas kernels; do
  echo
  echo "### Bench train --device cuda beside PyTorch CUDA, DT_DEVICE_GEMM=$gemm"
  for spec in examples/fashion-mnist-mlp.yaml examples/fashion-mnist-lenet5.yaml; do
    echo
    (cd "$workdir" && DT_DEVICE_GEMM=$gemm "${bench[@]}" train --device cuda --spec "$spec" "${torch_flag[@]}") || status=1
  done
done
exit $status
