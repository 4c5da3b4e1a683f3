// Autograd: requires-grad flags, gradients, backward, and the grad / inference modes.
#include "common.h"
#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>

namespace pspseg {

using Info = Napi::CallbackInfo;

static Napi::Value RequiresGrad(const Info& info) { return Napi::Boolean::New(info.Env(), Unwrap(info[0]).requires_grad()); }
static Napi::Value SetRequiresGrad(const Info& info) {
  Unwrap(info[0]).requires_grad_(ToBool(info[1], true));
  return info[0];
}
static Napi::Value IsLeaf(const Info& info) { return Napi::Boolean::New(info.Env(), Unwrap(info[0]).is_leaf()); }
static Napi::Value RetainGrad(const Info& info) {
  Unwrap(info[0]).retain_grad();
  return info[0];
}

// grad(t) -> a new handle sharing the gradient's storage, or null
static Napi::Value Grad(const Info& info) {
  const at::Tensor& g = Unwrap(info[0]).grad();
  if (!g.defined()) return info.Env().Null();
  return Wrap(info.Env(), g);
}

// setGrad(t, g | null): null clears the gradient (like `p.grad = None`)
static Napi::Value SetGrad(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  if (IsUndefinedOrNull(info[1])) {
    t.mutable_grad() = at::Tensor();
  } else {
    at::Tensor& g = Unwrap(info[1]);
    // The checks PyTorch makes on `p.grad = g`: a wrong-shaped gradient would otherwise broadcast
    // silently into the optimiser step.
    if (g.is_same(t)) throw BindingError("INVALID_ARGUMENT", "a tensor cannot be its own gradient");
    if (g.sizes() != t.sizes())
      throw BindingError("INVALID_ARGUMENT", "assigned grad has shape " + c10::str(g.sizes()) + " but the tensor has " + c10::str(t.sizes()));
    if (g.scalar_type() != t.scalar_type())
      throw BindingError("INVALID_ARGUMENT", std::string("assigned grad has dtype ") + DtypeName(g.scalar_type()) + " but the tensor has " + DtypeName(t.scalar_type()));
    if (g.device() != t.device())
      throw BindingError("INVALID_ARGUMENT", "assigned grad is on " + g.device().str() + " but the tensor is on " + t.device().str());
    t.mutable_grad() = g;
  }
  return info.Env().Undefined();
}

// backward(t, gradient?, retainGraph?)
static Napi::Value Backward(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto gradient = UnwrapOptional(info[1]);
  bool retain = ToBool(info[2], false);
  t.backward(gradient ? *gradient : at::Tensor(), retain, /*create_graph=*/false);
  return info.Env().Undefined();
}

// setData(t, src): t takes src's data (same identity, like `p.data = src` in PyTorch), so
// references to t (an optimiser's) stay valid when a module moves to another device.
static Napi::Value SetData(const Info& info) {
  Unwrap(info[0]).set_data(Unwrap(info[1]));
  UpdateReportedBytes(info.Env(), HolderOf(info[0]));
  return info[0];
}

static Napi::Value Detach(const Info& info) { return Wrap(info.Env(), Unwrap(info[0]).detach()); }

static Napi::Value IsGradEnabled(const Info& info) { return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()); }
static Napi::Value SetGradEnabled(const Info& info) {
  at::GradMode::set_enabled(ToBool(info[0], true));
  return info.Env().Undefined();
}

// withInferenceMode(fn): runs fn under c10::InferenceMode (no autograd bookkeeping at all).
// The guard lives on this C++ frame, so it covers exactly the synchronous call of fn.
static Napi::Value WithInferenceMode(const Info& info) {
  if (!info[0].IsFunction()) throw BindingError("INVALID_ARGUMENT", "withInferenceMode expects a function");
  c10::InferenceMode guard;
  return info[0].As<Napi::Function>().Call({});
}

static Napi::Value IsInferenceMode(const Info& info) { return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled()); }

void InitAutogradOps(Napi::Env env, Napi::Object exports) {
  PSPSEG_EXPORT(env, exports, "requiresGrad", RequiresGrad);
  PSPSEG_EXPORT(env, exports, "setRequiresGrad", SetRequiresGrad);
  PSPSEG_EXPORT(env, exports, "isLeaf", IsLeaf);
  PSPSEG_EXPORT(env, exports, "retainGrad", RetainGrad);
  PSPSEG_EXPORT(env, exports, "grad", Grad);
  PSPSEG_EXPORT(env, exports, "setGrad", SetGrad);
  PSPSEG_EXPORT(env, exports, "backward", Backward);
  PSPSEG_EXPORT(env, exports, "detach", Detach);
  PSPSEG_EXPORT(env, exports, "setData", SetData);
  PSPSEG_EXPORT(env, exports, "isGradEnabled", IsGradEnabled);
  PSPSEG_EXPORT(env, exports, "setGradEnabled", SetGradEnabled);
  PSPSEG_EXPORT(env, exports, "withInferenceMode", WithInferenceMode);
  PSPSEG_EXPORT(env, exports, "isInferenceMode", IsInferenceMode);
}

}  // namespace pspseg
