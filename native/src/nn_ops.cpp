// Neural-network ops: convolutions, normalisation, activations, resampling, pooling, losses.
#include "common.h"
#include <ATen/autocast_mode.h>

namespace pspseg {

using Info = Napi::CallbackInfo;

static std::vector<int64_t> Triple(const Napi::Value& v, const char* what, int64_t fallback) {
  if (IsUndefinedOrNull(v)) return {fallback, fallback, fallback};
  auto l = ToIntList(v, what);
  if (l.size() == 1) return {l[0], l[0], l[0]};
  return l;
}

// libtorch 1.13 sends a CPU float conv3d of a batch of one with few channels (N*C*D*H <= 20480: 16
// channels at 32^3) to its native vol2col path instead of oneDNN (Convolution.cpp's use_mkldnn, a 2-D
// heuristic). There a 32^3 forward of PSP-Seg S measured 20x slower per sample than at batch 2, and the
// sliding window predicts one window at a time by default. Such a conv goes to oneDNN directly (it has its
// own backward).
// Not under autocast: at::conv3d is where autocast casts to bfloat16 (mkldnn_convolution is not on its list).
static bool BatchOfOneOnNativePath(const at::Tensor& x, int64_t groups) {
  return x.device().is_cpu() && !at::autocast::is_cpu_enabled() && x.scalar_type() == at::kFloat && x.dim() == 5 && x.size(0) == 1 && groups == 1 &&
         at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() && x.size(1) * x.size(2) * x.size(3) <= 20480;
}

// conv3d(x, w, b?, stride, padding, dilation, groups)
static Napi::Value Conv3d(const Info& info) {
  const at::Tensor x = Unwrap(info[0]), w = Unwrap(info[1]);
  const c10::optional<at::Tensor> b = UnwrapOptional(info[2]);
  const auto stride = Triple(info[3], "stride", 1), padding = Triple(info[4], "padding", 0), dilation = Triple(info[5], "dilation", 1);
  const int64_t groups = IsUndefinedOrNull(info[6]) ? 1 : ToInt(info[6], "groups");
  if (BatchOfOneOnNativePath(x, groups) && w.dim() == 5 && w.size(1) == x.size(1))
    return Wrap(info.Env(), at::mkldnn_convolution(x.contiguous(), w.contiguous(), b, padding, stride, dilation, groups));
  return Wrap(info.Env(), at::conv3d(x, w, b, stride, padding, dilation, groups));
}

// convTranspose3d(x, w, b?, stride, padding, outputPadding, groups, dilation)
static Napi::Value ConvTranspose3d(const Info& info) {
  return Wrap(info.Env(), at::conv_transpose3d(Unwrap(info[0]), Unwrap(info[1]), UnwrapOptional(info[2]), Triple(info[3], "stride", 1),
                                               Triple(info[4], "padding", 0), Triple(info[5], "outputPadding", 0),
                                               IsUndefinedOrNull(info[6]) ? 1 : ToInt(info[6], "groups"),
                                               Triple(info[7], "dilation", 1)));
}

// instanceNorm(x, weight?, bias?, runningMean?, runningVar?, useInputStats, momentum, eps)
static Napi::Value InstanceNorm(const Info& info) {
  return Wrap(info.Env(), at::instance_norm(Unwrap(info[0]), UnwrapOptional(info[1]), UnwrapOptional(info[2]), UnwrapOptional(info[3]),
                                            UnwrapOptional(info[4]), ToBool(info[5], true),
                                            IsUndefinedOrNull(info[6]) ? 0.1 : ToDouble(info[6], "momentum"),
                                            IsUndefinedOrNull(info[7]) ? 1e-5 : ToDouble(info[7], "eps"), /*cudnn_enabled=*/true));
}

// batchNorm(x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
static Napi::Value BatchNorm(const Info& info) {
  return Wrap(info.Env(), at::batch_norm(Unwrap(info[0]), UnwrapOptional(info[1]), UnwrapOptional(info[2]), UnwrapOptional(info[3]),
                                         UnwrapOptional(info[4]), ToBool(info[5], true),
                                         IsUndefinedOrNull(info[6]) ? 0.1 : ToDouble(info[6], "momentum"),
                                         IsUndefinedOrNull(info[7]) ? 1e-5 : ToDouble(info[7], "eps"), /*cudnn_enabled=*/true));
}

static Napi::Value LeakyRelu(const Info& info) {
  return Wrap(info.Env(), at::leaky_relu(Unwrap(info[0]), IsUndefinedOrNull(info[1]) ? 0.01 : ToDouble(info[1], "slope")));
}
static Napi::Value Relu(const Info& info) { return Wrap(info.Env(), at::relu(Unwrap(info[0]))); }
static Napi::Value Sigmoid(const Info& info) { return Wrap(info.Env(), at::sigmoid(Unwrap(info[0]))); }
static Napi::Value Softmax(const Info& info) { return Wrap(info.Env(), at::softmax(Unwrap(info[0]), ToInt(info[1], "dim"))); }
static Napi::Value LogSoftmax(const Info& info) { return Wrap(info.Env(), at::log_softmax(Unwrap(info[0]), ToInt(info[1], "dim"))); }

// interpolate(x, size?, scaleFactors?, mode, alignCorners): mode 'nearest' | 'trilinear' | 'bilinear' | 'linear'
static Napi::Value Interpolate(const Info& info) {
  at::Tensor& x = Unwrap(info[0]);
  auto size = ToOptionalIntList(info[1], "size");
  auto scales = ToOptionalDoubleList(info[2], "scaleFactor");
  std::string mode = ToString(info[3], "mode");
  bool align = ToBool(info[4], false);
  int64_t spatial = x.dim() - 2;
  if (spatial < 1 || spatial > 3) throw BindingError("INVALID_ARGUMENT", "interpolate expects a 3D, 4D or 5D input (N, C, ...)");
  if (!size && !scales) throw BindingError("INVALID_ARGUMENT", "interpolate needs size or scaleFactor");
  if (size && scales) throw BindingError("INVALID_ARGUMENT", "interpolate takes size or scaleFactor, not both");
  if (size && size->size() == 1) size = std::vector<int64_t>(spatial, (*size)[0]);
  if (scales && scales->size() == 1) scales = std::vector<double>(spatial, (*scales)[0]);
  if ((size && static_cast<int64_t>(size->size()) != spatial) || (scales && static_cast<int64_t>(scales->size()) != spatial))
    throw BindingError("INVALID_ARGUMENT", "interpolate: size/scaleFactor needs one entry per spatial dim");
  at::OptionalIntArrayRef osize = size ? at::OptionalIntArrayRef(*size) : at::OptionalIntArrayRef();
  c10::optional<at::ArrayRef<double>> oscales = scales ? c10::optional<at::ArrayRef<double>>(*scales) : c10::nullopt;
  if (mode == "nearest") {
    if (spatial == 1) return Wrap(info.Env(), at::upsample_nearest1d(x, osize, oscales));
    if (spatial == 2) return Wrap(info.Env(), at::upsample_nearest2d(x, osize, oscales));
    return Wrap(info.Env(), at::upsample_nearest3d(x, osize, oscales));
  }
  if (mode == "linear" && spatial == 1) return Wrap(info.Env(), at::upsample_linear1d(x, osize, align, oscales));
  if (mode == "bilinear" && spatial == 2) return Wrap(info.Env(), at::upsample_bilinear2d(x, osize, align, oscales));
  if (mode == "trilinear" && spatial == 3) return Wrap(info.Env(), at::upsample_trilinear3d(x, osize, align, oscales));
  throw BindingError("INVALID_ARGUMENT", "interpolate: mode '" + mode + "' does not fit a " + std::to_string(x.dim()) + "D input");
}

// avgPool3d(x, kernel, stride?, padding)
static Napi::Value AvgPool3d(const Info& info) {
  auto k = Triple(info[1], "kernel", 1);
  auto s = IsUndefinedOrNull(info[2]) ? k : Triple(info[2], "stride", 1);
  return Wrap(info.Env(), at::avg_pool3d(Unwrap(info[0]), k, s, Triple(info[3], "padding", 0)));
}
// maxPool3d(x, kernel, stride?, padding)
static Napi::Value MaxPool3d(const Info& info) {
  auto k = Triple(info[1], "kernel", 1);
  auto s = IsUndefinedOrNull(info[2]) ? k : Triple(info[2], "stride", 1);
  return Wrap(info.Env(), at::max_pool3d(Unwrap(info[0]), k, s, Triple(info[3], "padding", 0)));
}

// affineGrid(theta (N,3,4), size [N,C,D,H,W], alignCorners)
static Napi::Value AffineGrid(const Info& info) {
  return Wrap(info.Env(), at::affine_grid_generator(Unwrap(info[0]), ToIntList(info[1], "size"), ToBool(info[2], false)));
}

// gridSample(x, grid, mode ('bilinear'|'nearest'|'bicubic'), paddingMode ('zeros'|'border'|'reflection'), alignCorners)
static Napi::Value GridSample(const Info& info) {
  std::string mode = IsUndefinedOrNull(info[2]) ? "bilinear" : ToString(info[2], "mode");
  std::string padding = IsUndefinedOrNull(info[3]) ? "zeros" : ToString(info[3], "paddingMode");
  int64_t m = mode == "bilinear" ? 0 : mode == "nearest" ? 1 : mode == "bicubic" ? 2 : -1;
  int64_t p = padding == "zeros" ? 0 : padding == "border" ? 1 : padding == "reflection" ? 2 : -1;
  if (m < 0) throw BindingError("INVALID_ARGUMENT", "gridSample: unknown mode '" + mode + "'");
  if (p < 0) throw BindingError("INVALID_ARGUMENT", "gridSample: unknown padding mode '" + padding + "'");
  return Wrap(info.Env(), at::grid_sampler(Unwrap(info[0]), Unwrap(info[1]), m, p, ToBool(info[4], false)));
}

static int64_t ToReduction(const Napi::Value& v) {
  std::string r = IsUndefinedOrNull(v) ? "mean" : ToString(v, "reduction");
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw BindingError("INVALID_ARGUMENT", "unknown reduction '" + r + "' (mean, sum, none)");
}

// crossEntropy(logits, target, weight?, ignoreIndex, reduction, labelSmoothing)
static Napi::Value CrossEntropy(const Info& info) {
  return Wrap(info.Env(), at::cross_entropy_loss(Unwrap(info[0]), Unwrap(info[1]), UnwrapOptional(info[2]), ToReduction(info[4]),
                                                 IsUndefinedOrNull(info[3]) ? -100 : ToInt(info[3], "ignoreIndex"),
                                                 IsUndefinedOrNull(info[5]) ? 0.0 : ToDouble(info[5], "labelSmoothing")));
}

// bceWithLogits(logits, target, weight?, posWeight?, reduction)
static Napi::Value BceWithLogits(const Info& info) {
  return Wrap(info.Env(), at::binary_cross_entropy_with_logits(Unwrap(info[0]), Unwrap(info[1]), UnwrapOptional(info[2]),
                                                                UnwrapOptional(info[3]), ToReduction(info[4])));
}

// mseLoss(a, b, reduction)
static Napi::Value MseLoss(const Info& info) { return Wrap(info.Env(), at::mse_loss(Unwrap(info[0]), Unwrap(info[1]), ToReduction(info[2]))); }

// cosineSimilarity(a, b, dim, eps)
static Napi::Value CosineSimilarity(const Info& info) {
  return Wrap(info.Env(), at::cosine_similarity(Unwrap(info[0]), Unwrap(info[1]), IsUndefinedOrNull(info[2]) ? 1 : ToInt(info[2], "dim"),
                                                IsUndefinedOrNull(info[3]) ? 1e-8 : ToDouble(info[3], "eps")));
}

// oneHot(labels int64, numClasses = -1)
static Napi::Value OneHot(const Info& info) {
  return Wrap(info.Env(), at::one_hot(Unwrap(info[0]), IsUndefinedOrNull(info[1]) ? -1 : ToInt(info[1], "numClasses")));
}

void InitNnOps(Napi::Env env, Napi::Object exports) {
  PSPSEG_EXPORT(env, exports, "conv3d", Conv3d);
  PSPSEG_EXPORT(env, exports, "convTranspose3d", ConvTranspose3d);
  PSPSEG_EXPORT(env, exports, "instanceNorm", InstanceNorm);
  PSPSEG_EXPORT(env, exports, "batchNorm", BatchNorm);
  PSPSEG_EXPORT(env, exports, "leakyRelu", LeakyRelu);
  PSPSEG_EXPORT(env, exports, "relu", Relu);
  PSPSEG_EXPORT(env, exports, "sigmoid", Sigmoid);
  PSPSEG_EXPORT(env, exports, "softmax", Softmax);
  PSPSEG_EXPORT(env, exports, "logSoftmax", LogSoftmax);
  PSPSEG_EXPORT(env, exports, "interpolate", Interpolate);
  PSPSEG_EXPORT(env, exports, "avgPool3d", AvgPool3d);
  PSPSEG_EXPORT(env, exports, "maxPool3d", MaxPool3d);
  PSPSEG_EXPORT(env, exports, "affineGrid", AffineGrid);
  PSPSEG_EXPORT(env, exports, "gridSample", GridSample);
  PSPSEG_EXPORT(env, exports, "crossEntropy", CrossEntropy);
  PSPSEG_EXPORT(env, exports, "bceWithLogits", BceWithLogits);
  PSPSEG_EXPORT(env, exports, "mseLoss", MseLoss);
  PSPSEG_EXPORT(env, exports, "cosineSimilarity", CosineSimilarity);
  PSPSEG_EXPORT(env, exports, "oneHot", OneHot);
}

}  // namespace pspseg
