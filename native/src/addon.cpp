#include "common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pspseg::InitRuntime(env, exports);
  pspseg::InitTensorOps(env, exports);
  pspseg::InitMathOps(env, exports);
  pspseg::InitShapeOps(env, exports);
  pspseg::InitNnOps(env, exports);
  pspseg::InitAutogradOps(env, exports);
  pspseg::InitAutocast(env, exports);
  pspseg::InitDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(pspseg_native, Init)
