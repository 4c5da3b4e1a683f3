// Elementwise arithmetic, comparisons, reductions, matmul and the in-place updates optimisers use.
#include "common.h"

namespace pspseg {

using Info = Napi::CallbackInfo;

#define UNARY(Name, call)                                   \
  static Napi::Value Name(const Info& info) {               \
    return Wrap(info.Env(), at::call(Unwrap(info[0])));     \
  }
UNARY(Neg, neg)
UNARY(Exp, exp)
UNARY(Log, log)
UNARY(Log1p, log1p)
UNARY(Sqrt, sqrt)
UNARY(Rsqrt, rsqrt)
UNARY(Abs, abs)
UNARY(Sign, sign)
UNARY(Square, square)
UNARY(Reciprocal, reciprocal)
UNARY(Sin, sin)
UNARY(Cos, cos)
UNARY(Tanh, tanh)
UNARY(Floor, floor)
UNARY(Ceil, ceil)
UNARY(Round, round)
UNARY(LogicalNot, logical_not)
UNARY(IsNan, isnan)
UNARY(IsFinite, isfinite)
#undef UNARY

// Binary ops take (tensor, tensor|number); a number is a Python-like scalar.
#define BINARY(Name, call)                                                      \
  static Napi::Value Name(const Info& info) {                                   \
    at::Tensor& a = Unwrap(info[0]);                                            \
    if (IsNumber(info[1])) return Wrap(info.Env(), at::call(a, ToScalar(info[1], "other"))); \
    return Wrap(info.Env(), at::call(a, Unwrap(info[1])));                      \
  }
BINARY(Mul, mul)
BINARY(Div, div)
BINARY(Pow, pow)
BINARY(Remainder, remainder)
BINARY(Eq, eq)
BINARY(Ne, ne)
BINARY(Lt, lt)
BINARY(Le, le)
BINARY(Gt, gt)
BINARY(Ge, ge)
#undef BINARY

#define BINARY_TENSORS(Name, call) \
  static Napi::Value Name(const Info& info) { return Wrap(info.Env(), at::call(Unwrap(info[0]), Unwrap(info[1]))); }
BINARY_TENSORS(Maximum, maximum)
BINARY_TENSORS(Minimum, minimum)
BINARY_TENSORS(LogicalAnd, logical_and)
BINARY_TENSORS(LogicalOr, logical_or)
BINARY_TENSORS(Matmul, matmul)
#undef BINARY_TENSORS

// add/sub(a, b, alpha = 1)
template <bool Subtract>
static Napi::Value AddSub(const Info& info) {
  at::Tensor& a = Unwrap(info[0]);
  at::Scalar alpha = IsUndefinedOrNull(info[2]) ? at::Scalar(int64_t(1)) : ToScalar(info[2], "alpha");
  if (IsNumber(info[1])) {
    at::Scalar b = ToScalar(info[1], "other");
    return Wrap(info.Env(), Subtract ? at::sub(a, b, alpha) : at::add(a, b, alpha));
  }
  at::Tensor& b = Unwrap(info[1]);
  return Wrap(info.Env(), Subtract ? at::sub(a, b, alpha) : at::add(a, b, alpha));
}

// rsub(a, number) = number - a
static Napi::Value Rsub(const Info& info) { return Wrap(info.Env(), at::rsub(Unwrap(info[0]), ToScalar(info[1], "other"))); }
// rdiv(a, number) = number / a
static Napi::Value Rdiv(const Info& info) {
  return Wrap(info.Env(), at::mul(at::reciprocal(Unwrap(info[0])), ToScalar(info[1], "other")));
}

// where(cond, a, b): a/b may be numbers; they take the other operand's dtype.
static Napi::Value Where(const Info& info) {
  at::Tensor& cond = Unwrap(info[0]);
  bool aNum = IsNumber(info[1]), bNum = IsNumber(info[2]);
  if (aNum && bNum) throw BindingError("INVALID_ARGUMENT", "where: at least one of the values must be a tensor");
  at::Tensor a = aNum ? at::Tensor() : Unwrap(info[1]);
  at::Tensor b = bNum ? at::Tensor() : Unwrap(info[2]);
  // A number takes the type PyTorch's promotion gives it with the other operand (0.5 with an
  // int tensor makes a float result, 2 with a float tensor stays float).
  if (aNum) {
    at::Scalar v = ToScalar(info[1], "a");
    a = at::scalar_tensor(v, b.options().dtype(at::result_type(b, v)).requires_grad(false));
  }
  if (bNum) {
    at::Scalar v = ToScalar(info[2], "b");
    b = at::scalar_tensor(v, a.options().dtype(at::result_type(a, v)).requires_grad(false));
  }
  if (a.scalar_type() != b.scalar_type()) {
    auto common = at::promote_types(a.scalar_type(), b.scalar_type());
    a = a.to(common);
    b = b.to(common);
  }
  return Wrap(info.Env(), at::where(cond, a, b));
}

// clamp(t, min?, max?)
static Napi::Value Clamp(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  c10::optional<at::Scalar> lo, hi;
  if (!IsUndefinedOrNull(info[1])) lo = ToScalar(info[1], "min");
  if (!IsUndefinedOrNull(info[2])) hi = ToScalar(info[2], "max");
  if (!lo && !hi) throw BindingError("INVALID_ARGUMENT", "clamp needs min or max");
  return Wrap(info.Env(), at::clamp(t, lo, hi));
}

// --- reductions: (t, dims? , keepdim?) ----------------------------------------------------
static at::IntArrayRef DimsOrAll(const c10::optional<std::vector<int64_t>>& dims, std::vector<int64_t>& storage,
                                 const at::Tensor& t) {
  if (dims) return *dims;
  storage.resize(t.dim());
  for (int64_t i = 0; i < t.dim(); i++) storage[i] = i;
  return storage;
}

static Napi::Value Sum(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto dims = ToOptionalIntList(info[1], "dims");
  bool keep = ToBool(info[2], false);
  c10::optional<at::ScalarType> dtype;
  if (!IsUndefinedOrNull(info[3])) dtype = ToDtype(info[3], at::kFloat);
  if (!dims && !keep) return Wrap(info.Env(), at::sum(t, dtype));
  std::vector<int64_t> all;
  return Wrap(info.Env(), at::sum(t, DimsOrAll(dims, all, t), keep, dtype));
}

static Napi::Value Mean(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto dims = ToOptionalIntList(info[1], "dims");
  bool keep = ToBool(info[2], false);
  if (!dims && !keep) return Wrap(info.Env(), at::mean(t));
  std::vector<int64_t> all;
  return Wrap(info.Env(), at::mean(t, DimsOrAll(dims, all, t), keep));
}

// var/std(t, dims?, correction (0 or 1), keepdim)
template <bool Std>
static Napi::Value VarStd(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto dims = ToOptionalIntList(info[1], "dims");
  int64_t correction = IsUndefinedOrNull(info[2]) ? 1 : ToInt(info[2], "correction");
  bool keep = ToBool(info[3], false);
  at::OptionalIntArrayRef d = dims ? at::OptionalIntArrayRef(*dims) : at::OptionalIntArrayRef();
  c10::optional<int64_t> c(correction);  // not the `bool unbiased` overload
  return Wrap(info.Env(), Std ? at::std(t, d, c, keep) : at::var(t, d, c, keep));
}

// amax/amin(t, dims?, keepdim): values only, gradient flows to the extreme elements.
template <bool Max>
static Napi::Value AMaxMin(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto dims = ToOptionalIntList(info[1], "dims");
  bool keep = ToBool(info[2], false);
  if (!dims && !keep) return Wrap(info.Env(), Max ? at::max(t) : at::min(t));
  std::vector<int64_t> all;
  auto d = DimsOrAll(dims, all, t);
  return Wrap(info.Env(), Max ? at::amax(t, d, keep) : at::amin(t, d, keep));
}

// maxDim/minDim(t, dim, keepdim) -> [values, indices]
template <bool Max>
static Napi::Value MaxMinDim(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto result = Max ? at::max(t, ToInt(info[1], "dim"), ToBool(info[2], false)) : at::min(t, ToInt(info[1], "dim"), ToBool(info[2], false));
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t(0), Wrap(info.Env(), std::get<0>(result)));
  out.Set(uint32_t(1), Wrap(info.Env(), std::get<1>(result)));
  return out;
}

// argmax/argmin(t, dim?, keepdim)
template <bool Max>
static Napi::Value ArgMaxMin(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  c10::optional<int64_t> dim;
  if (!IsUndefinedOrNull(info[1])) dim = ToInt(info[1], "dim");
  bool keep = ToBool(info[2], false);
  return Wrap(info.Env(), Max ? at::argmax(t, dim, keep) : at::argmin(t, dim, keep));
}

// norm(t, p, dims?, keepdim): vector norm
static Napi::Value Norm(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  double p = IsUndefinedOrNull(info[1]) ? 2.0 : ToDouble(info[1], "p");
  auto dims = ToOptionalIntList(info[2], "dims");
  bool keep = ToBool(info[3], false);
  at::OptionalIntArrayRef d = dims ? at::OptionalIntArrayRef(*dims) : at::OptionalIntArrayRef();
  return Wrap(info.Env(), at::linalg_vector_norm(t, p, d, keep, c10::nullopt));
}

static Napi::Value Any(const Info& info) { return Wrap(info.Env(), at::any(Unwrap(info[0]))); }
static Napi::Value All(const Info& info) { return Wrap(info.Env(), at::all(Unwrap(info[0]))); }

// cumsum(t, dim)
static Napi::Value Cumsum(const Info& info) { return Wrap(info.Env(), at::cumsum(Unwrap(info[0]), ToInt(info[1], "dim"))); }

// --- in place (optimisers, initialisation); return the same handle ------------------------
static Napi::Value AddInPlace(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  at::Scalar alpha = IsUndefinedOrNull(info[2]) ? at::Scalar(int64_t(1)) : ToScalar(info[2], "alpha");
  if (IsNumber(info[1])) t.add_(ToScalar(info[1], "other"), alpha);
  else t.add_(Unwrap(info[1]), alpha);
  return info[0];
}
static Napi::Value MulInPlace(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  if (IsNumber(info[1])) t.mul_(ToScalar(info[1], "other"));
  else t.mul_(Unwrap(info[1]));
  return info[0];
}
static Napi::Value DivInPlace(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  if (IsNumber(info[1])) t.div_(ToScalar(info[1], "other"));
  else t.div_(Unwrap(info[1]));
  return info[0];
}
// addcmul_(t, a, b, value): t += value * a * b
static Napi::Value AddcmulInPlace(const Info& info) {
  Unwrap(info[0]).addcmul_(Unwrap(info[1]), Unwrap(info[2]), ToScalar(info[3], "value"));
  return info[0];
}
// addcdiv_(t, a, b, value): t += value * a / b
static Napi::Value AddcdivInPlace(const Info& info) {
  Unwrap(info[0]).addcdiv_(Unwrap(info[1]), Unwrap(info[2]), ToScalar(info[3], "value"));
  return info[0];
}
// lerp_(t, end, weight): t += weight * (end - t)
static Napi::Value LerpInPlace(const Info& info) {
  Unwrap(info[0]).lerp_(Unwrap(info[1]), ToScalar(info[2], "weight"));
  return info[0];
}
static Napi::Value CopyInPlace(const Info& info) {
  Unwrap(info[0]).copy_(Unwrap(info[1]));
  return info[0];
}
static Napi::Value ZeroInPlace(const Info& info) {
  Unwrap(info[0]).zero_();
  return info[0];
}
static Napi::Value FillInPlace(const Info& info) {
  Unwrap(info[0]).fill_(ToScalar(info[1], "value"));
  return info[0];
}
static Napi::Value SqrtInPlace(const Info& info) {
  Unwrap(info[0]).sqrt_();
  return info[0];
}

void InitMathOps(Napi::Env env, Napi::Object exports) {
  PSPSEG_EXPORT(env, exports, "neg", Neg);
  PSPSEG_EXPORT(env, exports, "exp", Exp);
  PSPSEG_EXPORT(env, exports, "log", Log);
  PSPSEG_EXPORT(env, exports, "log1p", Log1p);
  PSPSEG_EXPORT(env, exports, "sqrt", Sqrt);
  PSPSEG_EXPORT(env, exports, "rsqrt", Rsqrt);
  PSPSEG_EXPORT(env, exports, "abs", Abs);
  PSPSEG_EXPORT(env, exports, "sign", Sign);
  PSPSEG_EXPORT(env, exports, "square", Square);
  PSPSEG_EXPORT(env, exports, "reciprocal", Reciprocal);
  PSPSEG_EXPORT(env, exports, "sin", Sin);
  PSPSEG_EXPORT(env, exports, "cos", Cos);
  PSPSEG_EXPORT(env, exports, "tanh", Tanh);
  PSPSEG_EXPORT(env, exports, "floor", Floor);
  PSPSEG_EXPORT(env, exports, "ceil", Ceil);
  PSPSEG_EXPORT(env, exports, "round", Round);
  PSPSEG_EXPORT(env, exports, "logicalNot", LogicalNot);
  PSPSEG_EXPORT(env, exports, "isnan", IsNan);
  PSPSEG_EXPORT(env, exports, "isfinite", IsFinite);
  PSPSEG_EXPORT(env, exports, "add", AddSub<false>);
  PSPSEG_EXPORT(env, exports, "sub", AddSub<true>);
  PSPSEG_EXPORT(env, exports, "rsub", Rsub);
  PSPSEG_EXPORT(env, exports, "rdiv", Rdiv);
  PSPSEG_EXPORT(env, exports, "mul", Mul);
  PSPSEG_EXPORT(env, exports, "div", Div);
  PSPSEG_EXPORT(env, exports, "pow", Pow);
  PSPSEG_EXPORT(env, exports, "remainder", Remainder);
  PSPSEG_EXPORT(env, exports, "eq", Eq);
  PSPSEG_EXPORT(env, exports, "ne", Ne);
  PSPSEG_EXPORT(env, exports, "lt", Lt);
  PSPSEG_EXPORT(env, exports, "le", Le);
  PSPSEG_EXPORT(env, exports, "gt", Gt);
  PSPSEG_EXPORT(env, exports, "ge", Ge);
  PSPSEG_EXPORT(env, exports, "maximum", Maximum);
  PSPSEG_EXPORT(env, exports, "minimum", Minimum);
  PSPSEG_EXPORT(env, exports, "logicalAnd", LogicalAnd);
  PSPSEG_EXPORT(env, exports, "logicalOr", LogicalOr);
  PSPSEG_EXPORT(env, exports, "matmul", Matmul);
  PSPSEG_EXPORT(env, exports, "where", Where);
  PSPSEG_EXPORT(env, exports, "clamp", Clamp);
  PSPSEG_EXPORT(env, exports, "sum", Sum);
  PSPSEG_EXPORT(env, exports, "mean", Mean);
  PSPSEG_EXPORT(env, exports, "var", VarStd<false>);
  PSPSEG_EXPORT(env, exports, "std", VarStd<true>);
  PSPSEG_EXPORT(env, exports, "amax", AMaxMin<true>);
  PSPSEG_EXPORT(env, exports, "amin", AMaxMin<false>);
  PSPSEG_EXPORT(env, exports, "maxDim", MaxMinDim<true>);
  PSPSEG_EXPORT(env, exports, "minDim", MaxMinDim<false>);
  PSPSEG_EXPORT(env, exports, "argmax", ArgMaxMin<true>);
  PSPSEG_EXPORT(env, exports, "argmin", ArgMaxMin<false>);
  PSPSEG_EXPORT(env, exports, "norm", Norm);
  PSPSEG_EXPORT(env, exports, "any", Any);
  PSPSEG_EXPORT(env, exports, "all", All);
  PSPSEG_EXPORT(env, exports, "cumsum", Cumsum);
  PSPSEG_EXPORT(env, exports, "add_", AddInPlace);
  PSPSEG_EXPORT(env, exports, "mul_", MulInPlace);
  PSPSEG_EXPORT(env, exports, "div_", DivInPlace);
  PSPSEG_EXPORT(env, exports, "addcmul_", AddcmulInPlace);
  PSPSEG_EXPORT(env, exports, "addcdiv_", AddcdivInPlace);
  PSPSEG_EXPORT(env, exports, "lerp_", LerpInPlace);
  PSPSEG_EXPORT(env, exports, "copy_", CopyInPlace);
  PSPSEG_EXPORT(env, exports, "zero_", ZeroInPlace);
  PSPSEG_EXPORT(env, exports, "fill_", FillInPlace);
  PSPSEG_EXPORT(env, exports, "sqrt_", SqrtInPlace);
}

}  // namespace pspseg
