// Shared pieces of the binding: the tensor holder, argument conversion, and error translation.
// Every export is wrapped by `Guarded`, so no C++ exception (c10::Error, std::bad_alloc, ...)
// escapes into Node: each becomes a JS error of the class registered by the TypeScript layer.
#pragma once
#define NAPI_VERSION 8
#include <napi.h>
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <c10/util/Optional.h>
#include <string>
#include <vector>

namespace pspseg {

// A JS tensor handle owns one of these through a Napi::External.
struct Holder {
  at::Tensor tensor;
  int64_t reportedBytes = 0;  // what we told V8 via napi_adjust_external_memory
  bool alive = true;
};

// Typed errors: `code` tells TypeScript what went wrong without parsing messages.
struct BindingError : std::runtime_error {
  std::string code;
  BindingError(std::string c, const std::string& msg) : std::runtime_error(msg), code(std::move(c)) {}
};

void SetErrorClass(const Napi::Function& ctor);
// Both raise a JS exception through the C API and never throw in C++: a C++ exception leaving a
// callback while the environment cannot take a JS exception (a worker being terminated) would
// reach std::terminate and abort the whole process.
void ThrowJs(napi_env env, const std::string& code, const std::string& message) noexcept;
void RethrowJs(napi_env env, const Napi::Error& e) noexcept;

using Binding = Napi::Value (*)(const Napi::CallbackInfo&);

template <Binding F>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  try {
    return F(info);
  } catch (const Napi::Error& e) {
    RethrowJs(env, e);
  } catch (const BindingError& e) {
    ThrowJs(env, e.code, e.what());
  } catch (const c10::OutOfMemoryError& e) {
    ThrowJs(env, "OUT_OF_MEMORY", e.what_without_backtrace());
  } catch (const c10::Error& e) {
    // CPU allocation failures arrive as plain c10::Error ("DefaultCPUAllocator: can't allocate").
    const std::string msg = e.what_without_backtrace();
    bool oom = msg.find("can't allocate") != std::string::npos || msg.find("out of memory") != std::string::npos;
    ThrowJs(env, oom ? "OUT_OF_MEMORY" : "TORCH_ERROR", msg);
  } catch (const std::bad_alloc&) {
    ThrowJs(env, "OUT_OF_MEMORY", "out of memory (std::bad_alloc)");
  } catch (const std::exception& e) {
    ThrowJs(env, "TORCH_ERROR", e.what());
  } catch (...) {
    ThrowJs(env, "TORCH_ERROR", "unknown native error");
  }
  return Napi::Value();  // the pending JS exception is what the caller sees
}

// Registration helper used by each ops file.
void Export(Napi::Env env, Napi::Object exports, const char* name, Napi::Function fn);
#define PSPSEG_EXPORT(env, exports, name, fn) \
  ::pspseg::Export(env, exports, name, Napi::Function::New(env, ::pspseg::Guarded<fn>, name))

// --- handles -----------------------------------------------------------------------------
Napi::Value Wrap(Napi::Env env, at::Tensor t);
at::Tensor& Unwrap(const Napi::Value& v);               // throws DISPOSED / INVALID_ARGUMENT
c10::optional<at::Tensor> UnwrapOptional(const Napi::Value& v);  // undefined/null -> nullopt
std::vector<at::Tensor> UnwrapList(const Napi::Value& v);
int64_t LiveTensorCount();
void Release(Napi::Env env, Holder* h);
Holder* HolderOf(const Napi::Value& v);                 // type-checked, may be disposed
void SetExternalReporting(bool on);
void ReportExternal(Napi::Env env, Holder* h);
void UpdateReportedBytes(Napi::Env env, Holder* h);  // after the tensor's data changed

// --- argument conversion -----------------------------------------------------------------
int64_t ToInt(const Napi::Value& v, const char* what);
double ToDouble(const Napi::Value& v, const char* what);
bool ToBool(const Napi::Value& v, bool fallback);
std::string ToString(const Napi::Value& v, const char* what);
std::vector<int64_t> ToIntList(const Napi::Value& v, const char* what);
c10::optional<std::vector<int64_t>> ToOptionalIntList(const Napi::Value& v, const char* what);
c10::optional<std::vector<double>> ToOptionalDoubleList(const Napi::Value& v, const char* what);
at::ScalarType ToDtype(const Napi::Value& v, at::ScalarType fallback);
const char* DtypeName(at::ScalarType t);
at::Device ToDevice(const Napi::Value& v);
std::string DeviceName(const at::Device& d);
bool IsUndefinedOrNull(const Napi::Value& v);
// JS numbers become Python-like scalars: integral values are int64 (so `int_tensor * 2` stays
// integral), others double; booleans stay bool.
at::Scalar ToScalar(const Napi::Value& v, const char* what);
bool IsNumber(const Napi::Value& v);

void InitTensorOps(Napi::Env env, Napi::Object exports);
void InitMathOps(Napi::Env env, Napi::Object exports);
void InitShapeOps(Napi::Env env, Napi::Object exports);
void InitNnOps(Napi::Env env, Napi::Object exports);
void InitAutogradOps(Napi::Env env, Napi::Object exports);
void InitRuntime(Napi::Env env, Napi::Object exports);
void InitAutocast(Napi::Env env, Napi::Object exports);
void InitDistributed(Napi::Env env, Napi::Object exports);  // c10d process group (Gloo)
// allocator.cpp: huge-page mappings for large CPU tensors (PSPSEG_ALLOCATOR=auto|huge-pages|glibc).
void InstallLargeBlockAllocator();
Napi::Value AllocatorInfo(Napi::Env env);

}  // namespace pspseg
