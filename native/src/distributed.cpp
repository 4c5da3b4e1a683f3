// Data-parallel communication on torch's own c10d: a TCPStore for the rendezvous (rank 0 serves it) and
// a Gloo process group for the collectives, what torch.distributed.init_process_group("gloo") builds.
// Every collective blocks until done or until the group's timeout, which then becomes a JS error.
// Built only where the libtorch has c10d's Gloo backend and gloo's headers are installed
// (torch_paths.cjs defines PSPSEG_WITH_GLOO); elsewhere distInit says why it is unavailable.
#include "common.h"

#ifdef PSPSEG_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <unistd.h>
#endif

namespace pspseg {

using Info = Napi::CallbackInfo;

#ifdef PSPSEG_WITH_GLOO

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
};

static Group& GroupOf(const Napi::Value& v) {
  if (!v.IsExternal()) throw BindingError("INVALID_ARGUMENT", "expected a process group handle");
  Group* g = v.As<Napi::External<Group>>().Data();
  if (!g->pg) throw BindingError("DISPOSED", "the process group was destroyed");
  return *g;
}

static bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// The address this rank's Gloo device listens on. An interface name (GLOO_SOCKET_IFNAME) wins; a master on
// the loopback means one machine; otherwise this machine's hostname, which other machines must resolve.
// (c10d's createDefaultDevice reads no environment in C++, so the choice is made here.)
static std::shared_ptr<::gloo::transport::Device> DeviceFor(const std::string& iface, const std::string& master) {
  if (!iface.empty()) return c10d::ProcessGroupGloo::createDeviceForInterface(iface);
  if (IsLoopback(master)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) throw BindingError("DIST_ERROR", "gethostname failed: set GLOO_SOCKET_IFNAME");
  return c10d::ProcessGroupGloo::createDeviceForHostname(name);
}

// distInit({rank, worldSize, masterAddr, masterPort, timeoutMs, iface?}) -> handle. Rank 0 serves the
// TCPStore and waits for the others; every rank then connects its Gloo pairs through the store.
static Napi::Value DistInit(const Info& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw BindingError("INVALID_ARGUMENT", "distInit expects {rank, worldSize, masterAddr, masterPort, timeoutMs}");
  Napi::Object o = info[0].As<Napi::Object>();
  const int64_t rank = ToInt(o.Get("rank"), "rank"), size = ToInt(o.Get("worldSize"), "worldSize");
  const int64_t port = ToInt(o.Get("masterPort"), "masterPort"), timeoutMs = ToInt(o.Get("timeoutMs"), "timeoutMs");
  const std::string master = ToString(o.Get("masterAddr"), "masterAddr");
  const std::string iface = IsUndefinedOrNull(o.Get("iface")) ? "" : ToString(o.Get("iface"), "iface");
  if (size < 1 || rank < 0 || rank >= size) throw BindingError("INVALID_ARGUMENT", "rank must be in [0, worldSize)");
  if (port < 1 || port > 65535) throw BindingError("INVALID_ARGUMENT", "masterPort must be in 1..65535");
  if (timeoutMs < 1) throw BindingError("INVALID_ARGUMENT", "timeoutMs must be positive");

  auto* g = new Group();
  std::unique_ptr<Group> guard(g);
  g->rank = static_cast<int>(rank);
  g->size = static_cast<int>(size);
  g->timeout = std::chrono::milliseconds(timeoutMs);
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<std::size_t>(size);
  so.waitWorkers = true;
  so.timeout = g->timeout;
  const std::string where = "rendezvous at " + master + ":" + std::to_string(port) + " failed on rank " + std::to_string(rank) + " of " +
                            std::to_string(size) + ": ";
  try {
    g->store = c10::make_intrusive<c10d::TCPStore>(master, so);
    auto options = c10d::ProcessGroupGloo::Options::create(g->timeout);
    options->devices.push_back(DeviceFor(iface, master));
    options->threads = 1;  // the collectives of one training loop run one at a time
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, g->rank, g->size, options);
  } catch (const c10::Error& e) {
    throw BindingError("DIST_ERROR", where + e.what_without_backtrace());
  } catch (const BindingError&) {
    throw;
  } catch (const std::exception& e) {
    throw BindingError("DIST_ERROR", where + e.what());
  }
  guard.release();
  return Napi::External<Group>::New(env, g, [](Napi::Env, Group* p) { delete p; });
}

// Waits for one collective; a peer that died or hung surfaces here as the group's timeout or a closed
// connection, with the operation's name in front.
static void Finish(const c10::intrusive_ptr<c10d::Work>& work, const Group& g, const char* what) {
  try {
    work->wait(g.timeout);
  } catch (const std::exception& e) {
    throw BindingError("DIST_ERROR", std::string(what) + " failed on rank " + std::to_string(g.rank) + " of " +
                                         std::to_string(g.size) + ": " + e.what());
  }
}

static c10d::ReduceOp ToReduceOp(const Napi::Value& v) {
  const std::string op = IsUndefinedOrNull(v) ? "sum" : ToString(v, "op");
  if (op == "sum") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  throw BindingError("INVALID_ARGUMENT", "reduce op must be 'sum', 'max' or 'min', got '" + op + "'");
}

// distAllreduce(group, tensor, op = 'sum'): in place, every rank ends with the reduction.
static Napi::Value DistAllreduce(const Info& info) {
  Group& g = GroupOf(info[0]);
  std::vector<at::Tensor> tensors{Unwrap(info[1])};
  c10d::AllreduceOptions opts;
  opts.reduceOp = ToReduceOp(info[2]);
  opts.timeout = g.timeout;
  Finish(g.pg->allreduce(tensors, opts), g, "allreduce");
  return info.Env().Undefined();
}

// distBroadcast(group, tensor, root): in place, every rank ends with root's values.
static Napi::Value DistBroadcast(const Info& info) {
  Group& g = GroupOf(info[0]);
  std::vector<at::Tensor> tensors{Unwrap(info[1])};
  c10d::BroadcastOptions opts;
  opts.rootRank = ToInt(info[2], "root");
  opts.timeout = g.timeout;
  if (opts.rootRank < 0 || opts.rootRank >= g.size) throw BindingError("INVALID_ARGUMENT", "root must be a rank of the group");
  Finish(g.pg->broadcast(tensors, opts), g, "broadcast");
  return info.Env().Undefined();
}

// distAllgather(group, tensor) -> [tensor of rank 0, rank 1, ...] (same shape on every rank).
static Napi::Value DistAllgather(const Info& info) {
  Napi::Env env = info.Env();
  Group& g = GroupOf(info[0]);
  at::Tensor& t = Unwrap(info[1]);
  std::vector<at::Tensor> input{t};
  std::vector<std::vector<at::Tensor>> output(1);
  for (int i = 0; i < g.size; ++i) output[0].push_back(at::empty_like(t));
  c10d::AllgatherOptions opts;
  opts.timeout = g.timeout;
  Finish(g.pg->allgather(output, input, opts), g, "allgather");
  Napi::Array out = Napi::Array::New(env, g.size);
  for (int i = 0; i < g.size; ++i) out.Set(i, Wrap(env, output[0][i]));
  return out;
}

// distBarrier(group): returns when every rank has called it.
static Napi::Value DistBarrier(const Info& info) {
  Group& g = GroupOf(info[0]);
  c10d::BarrierOptions opts;
  opts.timeout = g.timeout;
  Finish(g.pg->barrier(opts), g, "barrier");
  return info.Env().Undefined();
}

// distDestroy(group): closes the connections (the handle is unusable afterwards; a second call is a no-op).
static Napi::Value DistDestroy(const Info& info) {
  if (!info[0].IsExternal()) throw BindingError("INVALID_ARGUMENT", "expected a process group handle");
  Group* g = info[0].As<Napi::External<Group>>().Data();
  g->pg.reset();
  g->store.reset();
  return info.Env().Undefined();
}

static Napi::Value DistAvailable(const Info& info) {
  return Napi::String::New(info.Env(), "gloo");
}

#else

static Napi::Value DistUnavailable(const Info& info) {
  throw BindingError("UNSUPPORTED",
                     "this build of the addon has no c10d Gloo backend: it needs a libtorch with distributed support and gloo's headers "
                     "(Debian: apt-get install libgloo-dev), then `npm run build:native`");
}
static Napi::Value DistAvailable(const Info& info) { return Napi::String::New(info.Env(), ""); }
#define DistInit DistUnavailable
#define DistAllreduce DistUnavailable
#define DistBroadcast DistUnavailable
#define DistAllgather DistUnavailable
#define DistBarrier DistUnavailable
#define DistDestroy DistUnavailable

#endif

void InitDistributed(Napi::Env env, Napi::Object exports) {
  PSPSEG_EXPORT(env, exports, "distBackends", DistAvailable);
  PSPSEG_EXPORT(env, exports, "distInit", DistInit);
  PSPSEG_EXPORT(env, exports, "distAllreduce", DistAllreduce);
  PSPSEG_EXPORT(env, exports, "distBroadcast", DistBroadcast);
  PSPSEG_EXPORT(env, exports, "distAllgather", DistAllgather);
  PSPSEG_EXPORT(env, exports, "distBarrier", DistBarrier);
  PSPSEG_EXPORT(env, exports, "distDestroy", DistDestroy);
}

}  // namespace pspseg
