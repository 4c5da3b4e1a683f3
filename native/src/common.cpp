#include "common.h"
#include <atomic>
#include <algorithm>
#include <cmath>

namespace pspseg {

// Per thread: each worker_thread that loads the addon has its own JS environment, so it registers
// its own error class and scope state. (Never freed: a thread's environment outlives nothing here.)
static thread_local Napi::FunctionReference* errorClass = nullptr;
// Per thread, like the JS environment that owns the tensors (a worker's tensors are its own).
static thread_local int64_t liveTensors = 0;
static const napi_type_tag kTensorTag = {0x7073707365676e61ULL, 0x74656e736f722d31ULL};

void SetErrorClass(const Napi::Function& ctor) {
  if (!errorClass) errorClass = new Napi::FunctionReference();
  *errorClass = Napi::Persistent(ctor);
}

static bool ExceptionPending(napi_env env) {
  bool pending = false;
  return napi_is_exception_pending(env, &pending) != napi_ok || pending;
}

void ThrowJs(napi_env env, const std::string& code, const std::string& message) noexcept {
  if (ExceptionPending(env)) return;
  napi_value msg = nullptr, codeValue = nullptr, err = nullptr;
  if (napi_create_string_utf8(env, message.c_str(), message.size(), &msg) != napi_ok) return;
  if (napi_create_string_utf8(env, code.c_str(), code.size(), &codeValue) != napi_ok) return;
  napi_value ctor = nullptr;
  if (errorClass && !errorClass->IsEmpty() && napi_get_reference_value(env, *errorClass, &ctor) == napi_ok && ctor) {
    napi_value args[2] = {msg, codeValue};
    if (napi_new_instance(env, ctor, 2, args, &err) != napi_ok) err = nullptr;
    if (!err && ExceptionPending(env)) return;  // the constructor threw: that exception stands
  }
  if (!err && napi_create_error(env, codeValue, msg, &err) != napi_ok) return;
  napi_throw(env, err);
}

void RethrowJs(napi_env env, const Napi::Error& e) noexcept {
  if (ExceptionPending(env)) return;
  napi_value v = e.Value();
  if (v) napi_throw(env, v);
}

void Export(Napi::Env, Napi::Object exports, const char* name, Napi::Function fn) { exports.Set(name, fn); }

// --- handles -----------------------------------------------------------------------------

static int64_t HostBytes(const at::Tensor& t) {
  // Only CPU memory is reported to V8: it is the memory V8's heuristics compete with. A view
  // (expand, slice) owns no more than its storage, however many elements it shows.
  if (!t.defined() || !t.device().is_cpu()) return 0;
  int64_t shown = static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
  int64_t stored = t.has_storage() ? static_cast<int64_t>(t.storage().nbytes()) : shown;
  return std::min(shown, stored);
}

void UpdateReportedBytes(Napi::Env env, Holder* h) {
  if (!h->alive || !h->reportedBytes) return;
  int64_t now = HostBytes(h->tensor);
  int64_t ignored;
  if (now != h->reportedBytes) napi_adjust_external_memory(env, now - h->reportedBytes, &ignored);
  h->reportedBytes = now;
}

void Release(Napi::Env env, Holder* h) {
  if (!h->alive) return;
  h->alive = false;
  h->tensor = at::Tensor();
  if (h->reportedBytes) {
    int64_t ignored;
    napi_adjust_external_memory(env, -h->reportedBytes, &ignored);
    h->reportedBytes = 0;
  }
  liveTensors--;
}

// Memory is reported to V8 only for tensors whose lifetime V8 decides (made outside any scope,
// or escaping the outermost one). Tensors made inside a scope are freed by the scope; reporting
// them made V8 run a full mark-compact every training step (measured ~12% of a conv step).
static thread_local bool reportExternal = true;
void SetExternalReporting(bool on) { reportExternal = on; }

void ReportExternal(Napi::Env env, Holder* h) {
  if (!h->alive || h->reportedBytes) return;
  h->reportedBytes = HostBytes(h->tensor);
  if (h->reportedBytes) {
    int64_t ignored;
    napi_adjust_external_memory(env, h->reportedBytes, &ignored);
  }
}

Napi::Value Wrap(Napi::Env env, at::Tensor t) {
  auto* h = new Holder();
  h->tensor = std::move(t);
  if (reportExternal) ReportExternal(env, h);
  liveTensors++;
  auto ext = Napi::External<Holder>::New(env, h, [](Napi::Env e, Holder* p) {
    Release(e, p);
    delete p;
  });
  ext.TypeTag(&kTensorTag);
  return ext;
}

Holder* HolderOf(const Napi::Value& v) {
  if (!v.IsExternal()) throw BindingError("INVALID_ARGUMENT", "expected a tensor handle");
  auto ext = v.As<Napi::External<Holder>>();
  if (!ext.CheckTypeTag(&kTensorTag)) throw BindingError("INVALID_ARGUMENT", "expected a tensor handle");
  return ext.Data();
}

at::Tensor& Unwrap(const Napi::Value& v) {
  Holder* h = HolderOf(v);
  if (!h->alive) throw BindingError("DISPOSED", "tensor was used after dispose()");
  return h->tensor;
}

c10::optional<at::Tensor> UnwrapOptional(const Napi::Value& v) {
  if (IsUndefinedOrNull(v)) return c10::nullopt;
  return Unwrap(v);
}

std::vector<at::Tensor> UnwrapList(const Napi::Value& v) {
  if (!v.IsArray()) throw BindingError("INVALID_ARGUMENT", "expected an array of tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(Unwrap(arr.Get(i)));
  return out;
}

int64_t LiveTensorCount() { return liveTensors; }

// --- argument conversion -----------------------------------------------------------------

bool IsUndefinedOrNull(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }
bool IsNumber(const Napi::Value& v) { return v.IsNumber() || v.IsBoolean(); }

int64_t ToInt(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw BindingError("INVALID_ARGUMENT", std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)))
    throw BindingError("INVALID_ARGUMENT", std::string(what) + " must be an integer");
  return static_cast<int64_t>(d);
}

double ToDouble(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw BindingError("INVALID_ARGUMENT", std::string(what) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool ToBool(const Napi::Value& v, bool fallback) {
  if (IsUndefinedOrNull(v)) return fallback;
  return v.ToBoolean().Value();
}

std::string ToString(const Napi::Value& v, const char* what) {
  if (!v.IsString()) throw BindingError("INVALID_ARGUMENT", std::string(what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> ToIntList(const Napi::Value& v, const char* what) {
  std::vector<int64_t> out;
  if (v.IsNumber()) { out.push_back(ToInt(v, what)); return out; }
  if (!v.IsArray()) throw BindingError("INVALID_ARGUMENT", std::string(what) + " must be an array of integers");
  auto arr = v.As<Napi::Array>();
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(ToInt(arr.Get(i), what));
  return out;
}

c10::optional<std::vector<int64_t>> ToOptionalIntList(const Napi::Value& v, const char* what) {
  if (IsUndefinedOrNull(v)) return c10::nullopt;
  return ToIntList(v, what);
}

c10::optional<std::vector<double>> ToOptionalDoubleList(const Napi::Value& v, const char* what) {
  if (IsUndefinedOrNull(v)) return c10::nullopt;
  std::vector<double> out;
  if (v.IsNumber()) { out.push_back(ToDouble(v, what)); return out; }
  if (!v.IsArray()) throw BindingError("INVALID_ARGUMENT", std::string(what) + " must be an array of numbers");
  auto arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(ToDouble(arr.Get(i), what));
  return out;
}

struct DtypeEntry { const char* name; at::ScalarType type; };
static const DtypeEntry kDtypes[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf}, {"bfloat16", at::kBFloat16},
    {"int64", at::kLong},    {"int32", at::kInt},      {"int16", at::kShort}, {"int8", at::kChar},
    {"uint8", at::kByte},    {"bool", at::kBool},
};

at::ScalarType ToDtype(const Napi::Value& v, at::ScalarType fallback) {
  if (IsUndefinedOrNull(v)) return fallback;
  std::string s = ToString(v, "dtype");
  for (const auto& e : kDtypes) if (s == e.name) return e.type;
  throw BindingError("INVALID_ARGUMENT", "unknown dtype '" + s + "'");
}

const char* DtypeName(at::ScalarType t) {
  for (const auto& e : kDtypes) if (t == e.type) return e.name;
  return "unsupported";
}

at::Device ToDevice(const Napi::Value& v) {
  if (IsUndefinedOrNull(v)) return at::Device(at::kCPU);
  return at::Device(ToString(v, "device"));  // c10 parses 'cpu', 'cuda', 'cuda:1' and throws otherwise
}

std::string DeviceName(const at::Device& d) { return d.str(); }

at::Scalar ToScalar(const Napi::Value& v, const char* what) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  double d = ToDouble(v, what);
  if (std::isfinite(d) && d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9.007199254740992e15)
    return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

}  // namespace pspseg
