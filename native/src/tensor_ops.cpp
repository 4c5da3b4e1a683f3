// Creation, inspection, data transfer, lifetime and device/dtype conversion of tensors.
#include "common.h"
#include <ATen/CPUGeneratorImpl.h>
#include <cstring>

namespace pspseg {

static at::TensorOptions OptionsFrom(const Napi::Value& dtype, const Napi::Value& device, at::ScalarType fallback) {
  return at::TensorOptions().dtype(ToDtype(dtype, fallback)).device(ToDevice(device));
}

// --- generators: random tensors are drawn on the CPU from an explicit, seeded generator and
// then moved, so the same seed gives the same numbers on every device.
static const napi_type_tag kGeneratorTag = {0x7073707365676e61ULL, 0x67656e657261746fULL};

static Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  auto* g = new at::Generator(at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(ToInt(info[0], "seed"))));
  auto ext = Napi::External<at::Generator>::New(info.Env(), g, [](Napi::Env, at::Generator* p) { delete p; });
  ext.TypeTag(&kGeneratorTag);
  return ext;
}

static c10::optional<at::Generator> ToGenerator(const Napi::Value& v) {
  if (IsUndefinedOrNull(v)) return c10::nullopt;
  if (!v.IsExternal() || !v.As<Napi::Object>().CheckTypeTag(&kGeneratorTag))
    throw BindingError("INVALID_ARGUMENT", "expected a generator");
  return *v.As<Napi::External<at::Generator>>().Data();
}

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  at::manual_seed(static_cast<uint64_t>(ToInt(info[0], "seed")));
  return info.Env().Undefined();
}

// fromBuffer(bytes: ArrayBuffer|TypedArray, shape, dtype, device)
static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  const void* data = nullptr;
  size_t byteLength = 0;
  if (info[0].IsTypedArray()) {
    // Straight from napi: works for typed arrays over a SharedArrayBuffer too.
    napi_typedarray_type type;
    size_t length;
    void* ptr = nullptr;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(info.Env(), info[0], &type, &length, &ptr, &buffer, &offset) != napi_ok)
      throw BindingError("INVALID_ARGUMENT", "fromBuffer: cannot read the typed array");
    data = ptr;
    byteLength = info[0].As<Napi::TypedArray>().ByteLength();
  } else if (info[0].IsArrayBuffer()) {
    auto ab = info[0].As<Napi::ArrayBuffer>();
    data = ab.Data();
    byteLength = ab.ByteLength();
  } else {
    throw BindingError("INVALID_ARGUMENT", "fromBuffer expects a typed array or ArrayBuffer");
  }
  auto shape = ToIntList(info[1], "shape");
  auto dtype = ToDtype(info[2], at::kFloat);
  int64_t numel = 1;
  for (auto d : shape) {
    if (d < 0) throw BindingError("INVALID_ARGUMENT", "shape entries must be >= 0");
    numel *= d;
  }
  size_t need = static_cast<size_t>(numel) * c10::elementSize(dtype);
  if (need != byteLength)
    throw BindingError("INVALID_ARGUMENT", "buffer has " + std::to_string(byteLength) + " bytes but shape and dtype need " +
                                               std::to_string(need));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (need) std::memcpy(t.data_ptr(), data, need);
  at::Device device = ToDevice(info[3]);
  if (!device.is_cpu()) t = t.to(device);
  return Wrap(info.Env(), t);
}

// toBuffer(t) -> ArrayBuffer holding the contiguous CPU data in the tensor's dtype
static Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  at::Tensor t = Unwrap(info[0]).detach();
  if (!t.device().is_cpu()) t = t.to(at::kCPU);
  t = t.contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  auto ab = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes) std::memcpy(ab.Data(), t.data_ptr(), bytes);
  return ab;
}

static Napi::Value Item(const Napi::CallbackInfo& info) {
  at::Tensor& t = Unwrap(info[0]);
  if (t.numel() != 1) throw BindingError("INVALID_ARGUMENT", "item() needs a tensor with one element, got " + std::to_string(t.numel()));
  at::Scalar s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
  return Napi::Number::New(info.Env(), s.toDouble());
}

static Napi::Value Zeros(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::zeros(ToIntList(info[0], "shape"), OptionsFrom(info[1], info[2], at::kFloat)));
}
static Napi::Value Ones(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::ones(ToIntList(info[0], "shape"), OptionsFrom(info[1], info[2], at::kFloat)));
}
static Napi::Value Empty(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::empty(ToIntList(info[0], "shape"), OptionsFrom(info[1], info[2], at::kFloat)));
}
// full(shape, value, dtype, device)
static Napi::Value Full(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::full(ToIntList(info[0], "shape"), ToScalar(info[1], "value"), OptionsFrom(info[2], info[3], at::kFloat)));
}
// arange(start, end, step, dtype, device)
static Napi::Value Arange(const Napi::CallbackInfo& info) {
  auto opts = OptionsFrom(info[3], info[4], at::kLong);
  return Wrap(info.Env(), at::arange(ToScalar(info[0], "start"), ToScalar(info[1], "end"), ToScalar(info[2], "step"), opts));
}
// linspace(start, end, steps, dtype, device)
static Napi::Value Linspace(const Napi::CallbackInfo& info) {
  auto opts = OptionsFrom(info[3], info[4], at::kFloat);
  return Wrap(info.Env(), at::linspace(ToScalar(info[0], "start"), ToScalar(info[1], "end"), ToInt(info[2], "steps"), opts));
}

// randn/rand(shape, dtype, device, generator?)
template <bool Normal>
static Napi::Value Random(const Napi::CallbackInfo& info) {
  auto shape = ToIntList(info[0], "shape");
  auto dtype = ToDtype(info[1], at::kFloat);
  auto gen = ToGenerator(info[3]);
  // Draw in float64 for float64 tensors, float32 otherwise (half types are cast after).
  auto drawType = dtype == at::kDouble ? at::kDouble : at::kFloat;
  at::Tensor t = Normal ? at::randn(shape, gen, at::TensorOptions().dtype(drawType))
                        : at::rand(shape, gen, at::TensorOptions().dtype(drawType));
  return Wrap(info.Env(), t.to(ToDevice(info[2]), dtype));
}

// randint(low, high, shape, generator?) -> int64 on CPU
static Napi::Value RandInt(const Napi::CallbackInfo& info) {
  auto gen = ToGenerator(info[3]);
  return Wrap(info.Env(), at::randint(ToInt(info[0], "low"), ToInt(info[1], "high"), ToIntList(info[2], "shape"), gen,
                                      at::TensorOptions().dtype(at::kLong)));
}

// Fills t in place from N(mean, std) using the generator (Kaiming init).
static Napi::Value NormalInPlace(const Napi::CallbackInfo& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto gen = ToGenerator(info[3]);
  c10::NoGradGuard noGrad;
  at::Tensor draw = at::empty(t.sizes(), at::TensorOptions().dtype(t.scalar_type() == at::kDouble ? at::kDouble : at::kFloat));
  draw.normal_(ToDouble(info[1], "mean"), ToDouble(info[2], "std"), gen);
  t.copy_(draw);
  return info[0];
}

static Napi::Value Info(const Napi::CallbackInfo& info) {
  at::Tensor& t = Unwrap(info[0]);
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto sizes = t.sizes();
  Napi::Array shape = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) shape.Set(i, Napi::Number::New(env, static_cast<double>(sizes[i])));
  o.Set("shape", shape);
  o.Set("dtype", Napi::String::New(env, DtypeName(t.scalar_type())));
  o.Set("device", Napi::String::New(env, DeviceName(t.device())));
  return o;
}

static Napi::Value Shape(const Napi::CallbackInfo& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto sizes = t.sizes();
  Napi::Array shape = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) shape.Set(i, Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return shape;
}

static Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Release(info.Env(), HolderOf(info[0]));
  return info.Env().Undefined();
}

// setExternalReporting(on): whether new tensors report their memory to V8 (off inside scopes).
static Napi::Value SetExternalReportingBinding(const Napi::CallbackInfo& info) {
  SetExternalReporting(ToBool(info[0], true));
  return info.Env().Undefined();
}
// reportExternal(t): a tensor leaving scope control now reports its memory to V8.
static Napi::Value ReportExternalBinding(const Napi::CallbackInfo& info) {
  ReportExternal(info.Env(), HolderOf(info[0]));
  return info.Env().Undefined();
}
static Napi::Value ExternalBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(HolderOf(info[0])->reportedBytes));
}

static Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !HolderOf(info[0])->alive);
}

static Napi::Value LiveCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(LiveTensorCount()));
}

// to(t, dtype?, device?, copy?)
static Napi::Value To(const Napi::CallbackInfo& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto dtype = ToDtype(info[1], t.scalar_type());
  at::Device device = IsUndefinedOrNull(info[2]) ? t.device() : ToDevice(info[2]);
  return Wrap(info.Env(), t.to(device, dtype, /*non_blocking=*/false, /*copy=*/ToBool(info[3], false)));
}

static Napi::Value Clone(const Napi::CallbackInfo& info) { return Wrap(info.Env(), Unwrap(info[0]).clone()); }
static Napi::Value Contiguous(const Napi::CallbackInfo& info) { return Wrap(info.Env(), Unwrap(info[0]).contiguous()); }
static Napi::Value IsContiguous(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), Unwrap(info[0]).is_contiguous()); }

void InitTensorOps(Napi::Env env, Napi::Object exports) {
  PSPSEG_EXPORT(env, exports, "newGenerator", NewGenerator);
  PSPSEG_EXPORT(env, exports, "manualSeed", ManualSeed);
  PSPSEG_EXPORT(env, exports, "fromBuffer", FromBuffer);
  PSPSEG_EXPORT(env, exports, "toBuffer", ToBuffer);
  PSPSEG_EXPORT(env, exports, "item", Item);
  PSPSEG_EXPORT(env, exports, "zeros", Zeros);
  PSPSEG_EXPORT(env, exports, "ones", Ones);
  PSPSEG_EXPORT(env, exports, "empty", Empty);
  PSPSEG_EXPORT(env, exports, "full", Full);
  PSPSEG_EXPORT(env, exports, "arange", Arange);
  PSPSEG_EXPORT(env, exports, "linspace", Linspace);
  PSPSEG_EXPORT(env, exports, "randn", Random<true>);
  PSPSEG_EXPORT(env, exports, "rand", Random<false>);
  PSPSEG_EXPORT(env, exports, "randint", RandInt);
  PSPSEG_EXPORT(env, exports, "normal_", NormalInPlace);
  PSPSEG_EXPORT(env, exports, "info", Info);
  PSPSEG_EXPORT(env, exports, "shape", Shape);
  PSPSEG_EXPORT(env, exports, "dispose", Dispose);
  PSPSEG_EXPORT(env, exports, "isDisposed", IsDisposed);
  PSPSEG_EXPORT(env, exports, "setExternalReporting", SetExternalReportingBinding);
  PSPSEG_EXPORT(env, exports, "reportExternal", ReportExternalBinding);
  PSPSEG_EXPORT(env, exports, "externalBytes", ExternalBytes);
  PSPSEG_EXPORT(env, exports, "liveTensorCount", LiveCount);
  PSPSEG_EXPORT(env, exports, "to", To);
  PSPSEG_EXPORT(env, exports, "clone", Clone);
  PSPSEG_EXPORT(env, exports, "contiguous", Contiguous);
  PSPSEG_EXPORT(env, exports, "isContiguous", IsContiguous);
}

}  // namespace pspseg
