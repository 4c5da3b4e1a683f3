// Mixed precision: libtorch's own autocast state (what torch.autocast sets), so that each op runs in
// the precision PyTorch's autocast gives it, and the gradient scaler's two fused kernels.
#include "common.h"
#include <ATen/autocast_mode.h>

namespace pspseg {

using Info = Napi::CallbackInfo;

static bool IsCuda(const Napi::Value& v) {
  const std::string device = ToString(v, "device");
  if (device == "cpu") return false;
  if (device == "cuda") return true;
  throw BindingError("INVALID_ARGUMENT", "autocast device must be 'cpu' or 'cuda', got '" + device + "'");
}

// One device type's autocast switch and lower precision, for this thread.
static void SetAutocast(bool cuda, bool enabled, at::ScalarType dtype) {
  if (cuda) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}

// autocastEnter(device, dtype) -> previous {enabled, dtype}: turns autocast on for the calling thread,
// as entering `with torch.autocast(device, dtype)` does (one nesting level deeper).
static Napi::Value AutocastEnter(const Info& info) {
  Napi::Env env = info.Env();
  const bool cuda = IsCuda(info[0]);
  const at::ScalarType dtype = ToDtype(info[1], at::kBFloat16);
  if (dtype != at::kBFloat16 && dtype != at::kHalf) throw BindingError("INVALID_ARGUMENT", "autocast dtype must be float16 or bfloat16");
  if (!cuda && dtype != at::kBFloat16) throw BindingError("UNSUPPORTED", "libtorch's CPU autocast runs bfloat16 only");
  Napi::Object prev = Napi::Object::New(env);
  prev.Set("enabled", Napi::Boolean::New(env, cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled()));
  prev.Set("dtype", Napi::String::New(env, DtypeName(cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype())));
  SetAutocast(cuda, true, dtype);
  at::autocast::increment_nesting();
  return prev;
}

// autocastExit(device, previous): restores the state autocastEnter returned; leaving the outermost
// level clears the cache of casted weights, as torch.autocast's __exit__ does (the weights change
// at every step, so a cached bfloat16 copy must not outlive the forward).
static Napi::Value AutocastExit(const Info& info) {
  const bool cuda = IsCuda(info[0]);
  if (!info[1].IsObject()) throw BindingError("INVALID_ARGUMENT", "autocastExit expects the state autocastEnter returned");
  Napi::Object prev = info[1].As<Napi::Object>();
  const bool enabled = prev.Get("enabled").ToBoolean().Value();
  const at::ScalarType dtype = ToDtype(prev.Get("dtype"), at::kBFloat16);
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetAutocast(cuda, enabled, dtype);
  return info.Env().Undefined();
}

// ampUnscale(grads, foundInf, invScale): torch.cuda.amp.GradScaler.unscale_'s kernel: multiplies every
// gradient by invScale in place and sets foundInf (a 1-element float tensor) to 1 where any is inf/NaN.
static Napi::Value AmpUnscale(const Info& info) {
  std::vector<at::Tensor> grads = UnwrapList(info[0]);
  at::Tensor& foundInf = Unwrap(info[1]);
  at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf, Unwrap(info[2]));
  return info.Env().Undefined();
}

// ampUpdateScale(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval):
// GradScaler.update's kernel, in place on scale (float) and growthTracker (int32).
static Napi::Value AmpUpdateScale(const Info& info) {
  at::_amp_update_scale_(Unwrap(info[0]), Unwrap(info[1]), Unwrap(info[2]), ToDouble(info[3], "growthFactor"),
                         ToDouble(info[4], "backoffFactor"), ToInt(info[5], "growthInterval"));
  return info.Env().Undefined();
}

void InitAutocast(Napi::Env env, Napi::Object exports) {
  PSPSEG_EXPORT(env, exports, "autocastEnter", AutocastEnter);
  PSPSEG_EXPORT(env, exports, "autocastExit", AutocastExit);
  PSPSEG_EXPORT(env, exports, "ampUnscale", AmpUnscale);
  PSPSEG_EXPORT(env, exports, "ampUpdateScale", AmpUpdateScale);
}

}  // namespace pspseg
