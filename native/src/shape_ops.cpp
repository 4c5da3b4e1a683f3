// Views, layout changes, joining, slicing, indexing and padding.
#include "common.h"

namespace pspseg {

using Info = Napi::CallbackInfo;

static Napi::Value Reshape(const Info& info) { return Wrap(info.Env(), at::reshape(Unwrap(info[0]), ToIntList(info[1], "shape"))); }
static Napi::Value View(const Info& info) { return Wrap(info.Env(), Unwrap(info[0]).view(ToIntList(info[1], "shape"))); }
static Napi::Value Permute(const Info& info) { return Wrap(info.Env(), at::permute(Unwrap(info[0]), ToIntList(info[1], "dims"))); }
static Napi::Value Transpose(const Info& info) {
  return Wrap(info.Env(), at::transpose(Unwrap(info[0]), ToInt(info[1], "dim0"), ToInt(info[2], "dim1")));
}
static Napi::Value Flip(const Info& info) { return Wrap(info.Env(), at::flip(Unwrap(info[0]), ToIntList(info[1], "dims"))); }
static Napi::Value Expand(const Info& info) { return Wrap(info.Env(), Unwrap(info[0]).expand(ToIntList(info[1], "shape"))); }
static Napi::Value Repeat(const Info& info) { return Wrap(info.Env(), Unwrap(info[0]).repeat(ToIntList(info[1], "repeats"))); }
static Napi::Value Unsqueeze(const Info& info) { return Wrap(info.Env(), at::unsqueeze(Unwrap(info[0]), ToInt(info[1], "dim"))); }
static Napi::Value Squeeze(const Info& info) {
  if (IsUndefinedOrNull(info[1])) return Wrap(info.Env(), at::squeeze(Unwrap(info[0])));
  return Wrap(info.Env(), at::squeeze(Unwrap(info[0]), ToInt(info[1], "dim")));
}
static Napi::Value Flatten(const Info& info) {
  int64_t start = IsUndefinedOrNull(info[1]) ? 0 : ToInt(info[1], "startDim");
  int64_t end = IsUndefinedOrNull(info[2]) ? -1 : ToInt(info[2], "endDim");
  return Wrap(info.Env(), at::flatten(Unwrap(info[0]), start, end));
}
static Napi::Value Cat(const Info& info) { return Wrap(info.Env(), at::cat(UnwrapList(info[0]), ToInt(info[1], "dim"))); }
static Napi::Value Stack(const Info& info) { return Wrap(info.Env(), at::stack(UnwrapList(info[0]), ToInt(info[1], "dim"))); }

// slice(t, dim, start?, end?, step = 1): Python semantics, negative indices allowed.
static Napi::Value Slice(const Info& info) {
  c10::optional<int64_t> start, end;
  if (!IsUndefinedOrNull(info[2])) start = ToInt(info[2], "start");
  if (!IsUndefinedOrNull(info[3])) end = ToInt(info[3], "end");
  int64_t step = IsUndefinedOrNull(info[4]) ? 1 : ToInt(info[4], "step");
  return Wrap(info.Env(), at::slice(Unwrap(info[0]), ToInt(info[1], "dim"), start, end, step));
}
static Napi::Value Narrow(const Info& info) {
  return Wrap(info.Env(), at::narrow(Unwrap(info[0]), ToInt(info[1], "dim"), ToInt(info[2], "start"), ToInt(info[3], "length")));
}
static Napi::Value Select(const Info& info) {
  return Wrap(info.Env(), at::select(Unwrap(info[0]), ToInt(info[1], "dim"), ToInt(info[2], "index")));
}
static Napi::Value IndexSelect(const Info& info) {
  return Wrap(info.Env(), at::index_select(Unwrap(info[0]), ToInt(info[1], "dim"), Unwrap(info[2])));
}
static Napi::Value Gather(const Info& info) {
  return Wrap(info.Env(), at::gather(Unwrap(info[0]), ToInt(info[1], "dim"), Unwrap(info[2])));
}
static Napi::Value Nonzero(const Info& info) { return Wrap(info.Env(), at::nonzero(Unwrap(info[0]))); }
static Napi::Value MaskedFill(const Info& info) {
  return Wrap(info.Env(), at::masked_fill(Unwrap(info[0]), Unwrap(info[1]), ToScalar(info[2], "value")));
}
static Napi::Value MaskedSelect(const Info& info) { return Wrap(info.Env(), at::masked_select(Unwrap(info[0]), Unwrap(info[1]))); }

// pad(t, pads, mode = 'constant', value = 0): pads are (last dim first) like torch.nn.functional.pad.
static Napi::Value Pad(const Info& info) {
  at::Tensor& t = Unwrap(info[0]);
  auto pads = ToIntList(info[1], "pads");
  std::string mode = IsUndefinedOrNull(info[2]) ? "constant" : ToString(info[2], "mode");
  if (pads.size() % 2) throw BindingError("INVALID_ARGUMENT", "pad: pads must have an even length");
  if (mode == "constant") {
    double value = IsUndefinedOrNull(info[3]) ? 0.0 : ToDouble(info[3], "value");
    return Wrap(info.Env(), at::constant_pad_nd(t, pads, value));
  }
  size_t n = pads.size() / 2;
  if (mode == "reflect") {
    if (n == 1) return Wrap(info.Env(), at::reflection_pad1d(t, pads));
    if (n == 2) return Wrap(info.Env(), at::reflection_pad2d(t, pads));
    if (n == 3) return Wrap(info.Env(), at::reflection_pad3d(t, pads));
  } else if (mode == "replicate") {
    if (n == 1) return Wrap(info.Env(), at::replication_pad1d(t, pads));
    if (n == 2) return Wrap(info.Env(), at::replication_pad2d(t, pads));
    if (n == 3) return Wrap(info.Env(), at::replication_pad3d(t, pads));
  } else {
    throw BindingError("INVALID_ARGUMENT", "pad: unknown mode '" + mode + "' (constant, reflect, replicate)");
  }
  throw BindingError("INVALID_ARGUMENT", "pad: reflect/replicate pad 1 to 3 trailing dims");
}

void InitShapeOps(Napi::Env env, Napi::Object exports) {
  PSPSEG_EXPORT(env, exports, "reshape", Reshape);
  PSPSEG_EXPORT(env, exports, "view", View);
  PSPSEG_EXPORT(env, exports, "permute", Permute);
  PSPSEG_EXPORT(env, exports, "transpose", Transpose);
  PSPSEG_EXPORT(env, exports, "flip", Flip);
  PSPSEG_EXPORT(env, exports, "expand", Expand);
  PSPSEG_EXPORT(env, exports, "repeat", Repeat);
  PSPSEG_EXPORT(env, exports, "unsqueeze", Unsqueeze);
  PSPSEG_EXPORT(env, exports, "squeeze", Squeeze);
  PSPSEG_EXPORT(env, exports, "flatten", Flatten);
  PSPSEG_EXPORT(env, exports, "cat", Cat);
  PSPSEG_EXPORT(env, exports, "stack", Stack);
  PSPSEG_EXPORT(env, exports, "slice", Slice);
  PSPSEG_EXPORT(env, exports, "narrow", Narrow);
  PSPSEG_EXPORT(env, exports, "select", Select);
  PSPSEG_EXPORT(env, exports, "indexSelect", IndexSelect);
  PSPSEG_EXPORT(env, exports, "gather", Gather);
  PSPSEG_EXPORT(env, exports, "nonzero", Nonzero);
  PSPSEG_EXPORT(env, exports, "maskedFill", MaskedFill);
  PSPSEG_EXPORT(env, exports, "maskedSelect", MaskedSelect);
  PSPSEG_EXPORT(env, exports, "pad", Pad);
}

}  // namespace pspseg
