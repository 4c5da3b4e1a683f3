// Process-wide set-up and introspection: allocator tuning, threads, devices, error class.
#include "common.h"
#include <ATen/Parallel.h>
#include <torch/version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#ifdef PSPSEG_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif
#include <malloc.h>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace pspseg {

using Info = Napi::CallbackInfo;

static bool mallocTuned = false;

// glibc returns freed large blocks to the OS and maps new ones for every big tensor; libtorch's
// training loop then spends most of its time in page faults (measured ~10x slower here).
static void TuneMalloc() {
  if (std::getenv("PSPSEG_NO_MALLOPT")) return;
  mallocTuned = mallopt(M_MMAP_THRESHOLD, INT_MAX) == 1;
  mallocTuned = (mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1) && mallocTuned;
  mallocTuned = (mallopt(M_MMAP_MAX, 0) == 1) && mallocTuned;
}

static int DefaultThreads() {
  if (const char* env = std::getenv("PSPSEG_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

static Napi::Value SetThreads(const Info& info) {
  int64_t n = ToInt(info[0], "threads");
  if (n < 1 || n > 1024) throw BindingError("INVALID_ARGUMENT", "threads must be between 1 and 1024");
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

static Napi::Value Config(const Info& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("torchVersion", Napi::String::New(env, std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                                                   std::to_string(TORCH_VERSION_PATCH)));
  o.Set("threads", Napi::Number::New(env, at::get_num_threads()));
  o.Set("interopThreads", Napi::Number::New(env, at::get_num_interop_threads()));
  o.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN()));
  o.Set("openmp", Napi::Boolean::New(env, at::hasOpenMP()));
  o.Set("mkl", Napi::Boolean::New(env, at::hasMKL()));
  bool cuda = at::hasCUDA();
  o.Set("cuda", Napi::Boolean::New(env, cuda));
  o.Set("cudaDevices", Napi::Number::New(env, cuda ? at::detail::getCUDAHooks().getNumGPUs() : 0));
  o.Set("mallocTuned", Napi::Boolean::New(env, mallocTuned));
  o.Set("allocator", AllocatorInfo(env));
  o.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  return o;
}

static Napi::Value CudaSynchronize(const Info& info) {
  if (at::hasCUDA()) at::detail::getCUDAHooks().deviceSynchronize(IsUndefinedOrNull(info[0]) ? 0 : ToInt(info[0], "device"));
  return info.Env().Undefined();
}

// cudaMemory(device, resetPeak?) -> { allocated, reserved, peakAllocated } bytes of libtorch's CUDA caching
// allocator (what PyTorch's torch.cuda.memory_allocated / memory_reserved / max_memory_allocated read).
// Built only against a CUDA libtorch (PSPSEG_WITH_CUDA, set by native/torch_paths.cjs).
static Napi::Value CudaMemory(const Info& info) {
#ifdef PSPSEG_WITH_CUDA
  const int device = IsUndefinedOrNull(info[0]) ? 0 : static_cast<int>(ToInt(info[0], "device"));
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
  const size_t aggregate = 0;  // StatType::AGGREGATE, in every libtorch version's StatArray
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("allocated", Napi::Number::New(info.Env(), static_cast<double>(stats.allocated_bytes[aggregate].current)));
  o.Set("reserved", Napi::Number::New(info.Env(), static_cast<double>(stats.reserved_bytes[aggregate].current)));
  o.Set("peakAllocated", Napi::Number::New(info.Env(), static_cast<double>(stats.allocated_bytes[aggregate].peak)));
  if (info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value()) c10::cuda::CUDACachingAllocator::resetPeakStats(device);
  return o;
#else
  throw BindingError("UNSUPPORTED", "cudaMemory: this addon was built against a libtorch without CUDA");
#endif
}

static Napi::Value SetErrorClassBinding(const Info& info) {
  if (!info[0].IsFunction()) throw BindingError("INVALID_ARGUMENT", "setErrorClass expects a constructor");
  SetErrorClass(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// Deliberately raise each kind of native failure, so tests can prove none of them aborts.
static Napi::Value RaiseForTest(const Info& info) {
  std::string kind = ToString(info[0], "kind");
  if (kind == "bad_alloc") throw std::bad_alloc();
  if (kind == "c10") TORCH_CHECK(false, "deliberate c10::Error for testing");
  if (kind == "std") throw std::runtime_error("deliberate std::runtime_error for testing");
  if (kind == "oom") at::empty({int64_t(1) << 62}, at::kByte);
  throw BindingError("INVALID_ARGUMENT", "unknown kind");
}

void InitRuntime(Napi::Env env, Napi::Object exports) {
  // Once per process: a worker thread loading the addon must not reset what the main thread set.
  static std::once_flag once;
  std::call_once(once, [] {
    TuneMalloc();
    InstallLargeBlockAllocator();
    at::set_num_threads(DefaultThreads());
  });
  PSPSEG_EXPORT(env, exports, "setThreads", SetThreads);
  PSPSEG_EXPORT(env, exports, "config", Config);
  PSPSEG_EXPORT(env, exports, "cudaSynchronize", CudaSynchronize);
  PSPSEG_EXPORT(env, exports, "cudaMemory", CudaMemory);
  PSPSEG_EXPORT(env, exports, "setErrorClass", SetErrorClassBinding);
  PSPSEG_EXPORT(env, exports, "raiseForTest", RaiseForTest);
}

}  // namespace pspseg
