// libtorch's CPU allocator for large tensors: each block of at least kLargeBlock bytes gets its own
// mapping on transparent huge pages, returned to the OS when freed (after a short cache).
//
// Why: with glibc tuned as TuneMalloc tunes it (no mmap, no trim; ~10x faster steps here), big tensor
// blocks share glibc's main heap with the small C++ objects libtorch allocates between them, and the
// heap fragments: a third of a training step's peak RSS (bench/tools/small_alloc_pool.c). Mapping a
// large block by itself keeps it out of that heap, and huge pages make the first touch of a fresh block
// cost 1 fault per 2 MiB instead of 512, which is what made glibc's own mmap path slow.
// Small blocks (and every block when THP is off) stay glibc's.
#include "common.h"
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/version.h>
#include <sys/mman.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

// PyTorch 2.3 made Allocator::allocate non-const and added the pure virtual copy_data.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define PSPSEG_ALLOCATE_CONST
#define PSPSEG_HAS_COPY_DATA 1
#else
#define PSPSEG_ALLOCATE_CONST const
#define PSPSEG_HAS_COPY_DATA 0
#endif

namespace pspseg {

namespace {

constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kLargeBlock = size_t(1) << 20;
constexpr size_t kCacheFloor = size_t(256) << 20;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Freed mappings are kept for reuse by a block of the same size: a training step allocates the same
// sizes every iteration, and a cached block costs no page faults (a 256 MiB cache made PSP-Seg S's
// step at 96^3 1.9x slower than glibc; caching a whole step, as fast as glibc, left the peak as it was).
class LargeBlockAllocator final : public c10::Allocator {
 public:
  LargeBlockAllocator(c10::Allocator* small, size_t cacheFloor)
      : small_(small), smallDeleter_(small->raw_deleter() ? small->raw_deleter() : &c10::free_cpu), cacheFloor_(cacheFloor) {}

  // A large block's DataPtr holds the block itself as its context (data == context), as libtorch's
  // raw_allocate/raw_deallocate (oneDNN's scratch buffers) require; its size is kept in sizes_.
  c10::DataPtr allocate(size_t n) PSPSEG_ALLOCATE_CONST override {
    if (n < kLargeBlock) return small_->allocate(n);
    const size_t size = RoundUp(n, kHugePage);
    void* p = TakeCached(size);
    if (p == nullptr) p = Map(size);
    if (p == nullptr) return small_->allocate(n);  // out of mappings: glibc may still have room
    return {p, p, &Release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Release; }

#if PSPSEG_HAS_COPY_DATA
  void copy_data(void* dest, const void* src, std::size_t count) const override { std::memcpy(dest, src, count); }
#endif

  struct Stats { size_t mapped = 0, cached = 0, peakMapped = 0, maps = 0, reuses = 0; };
  Stats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  static LargeBlockAllocator* instance;

 private:
  static void Release(void* p) {
    if (!instance->Cache(p)) instance->smallDeleter_(p);
  }

  void* Map(size_t size) const {
    // Over-map by one huge page and trim, so the block starts on a 2 MiB boundary (THP maps only
    // aligned 2 MiB ranges).
    const size_t span = size + kHugePage;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = RoundUp(start, kHugePage);
    if (aligned > start) munmap(raw, aligned - start);
    const size_t tail = (start + span) - (aligned + size);
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
    void* p = reinterpret_cast<void*>(aligned);
    madvise(p, size, MADV_HUGEPAGE);
    std::lock_guard<std::mutex> lock(mu_);
    sizes_.emplace(p, size);
    stats_.mapped += size;
    stats_.maps++;
    if (stats_.mapped > stats_.peakMapped) stats_.peakMapped = stats_.mapped;
    return p;
  }

  void* TakeCached(size_t size) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bySize_.find(size);
    if (it == bySize_.end()) return nullptr;
    void* p = it->second->ptr;
    lru_.erase(it->second);
    bySize_.erase(it);
    stats_.cached -= size;
    stats_.reuses++;
    return p;
  }

  // False when p is not one of this allocator's mappings (a small block, glibc's).
  bool Cache(void* p) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = sizes_.find(p);
    if (found == sizes_.end()) return false;
    const size_t size = found->second;
    const size_t live = stats_.mapped - stats_.cached;
    if (live > peakLive_) peakLive_ = live;
    lru_.push_back({p, size});
    bySize_.emplace(size, std::prev(lru_.end()));
    stats_.cached += size;
    // The cache holds at most what the process has had in use at once (a training step's sizes
    // repeat, so it then holds one step's blocks), and at least cacheFloor_; beyond that the blocks
    // cached longest ago go back to the OS (sizes of cases or patches not seen again).
    const size_t limit = std::max(cacheFloor_, peakLive_);
    while (stats_.cached > limit && !lru_.empty()) {
      const CachedBlock oldest = lru_.front();
      auto range = bySize_.equal_range(oldest.size);
      for (auto i = range.first; i != range.second; ++i)
        if (i->second == lru_.begin()) { bySize_.erase(i); break; }
      lru_.pop_front();
      stats_.cached -= oldest.size;
      stats_.mapped -= oldest.size;
      sizes_.erase(oldest.ptr);
      munmap(oldest.ptr, oldest.size);
    }
    return true;
  }

  c10::Allocator* small_;
  c10::DeleterFnPtr smallDeleter_;
  size_t cacheFloor_;
  mutable std::mutex mu_;
  struct CachedBlock { void* ptr; size_t size; };
  mutable std::list<CachedBlock> lru_;  // oldest first
  mutable std::multimap<size_t, std::list<CachedBlock>::iterator> bySize_;
  mutable size_t peakLive_ = 0;
  mutable std::unordered_map<void*, size_t> sizes_;
  mutable Stats stats_;
};

LargeBlockAllocator* LargeBlockAllocator::instance = nullptr;
std::string allocatorName = "glibc";

bool TransparentHugePagesAvailable() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(f, line)) return false;
  // "always [madvise] never": the bracketed mode is the active one.
  return line.find("[never]") == std::string::npos;
}

}  // namespace

void InstallLargeBlockAllocator() {
  const char* env = std::getenv("PSPSEG_ALLOCATOR");
  const std::string choice = env ? env : "auto";
  if (choice == "glibc") return;
  if (choice != "huge-pages" && !TransparentHugePagesAvailable()) return;
  static LargeBlockAllocator allocator(c10::GetDefaultCPUAllocator(), kCacheFloor);
  LargeBlockAllocator::instance = &allocator;
  // Priority above the default's, so nothing libtorch registers later replaces it.
  c10::SetCPUAllocator(&allocator, /*priority=*/10);
  allocatorName = "huge-pages";
}

Napi::Value AllocatorInfo(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Napi::String::New(env, allocatorName));
  if (LargeBlockAllocator::instance != nullptr) {
    const auto s = LargeBlockAllocator::instance->stats();
    o.Set("mappedBytes", Napi::Number::New(env, static_cast<double>(s.mapped)));
    o.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(s.cached)));
    o.Set("peakMappedBytes", Napi::Number::New(env, static_cast<double>(s.peakMapped)));
    o.Set("maps", Napi::Number::New(env, static_cast<double>(s.maps)));
    o.Set("reuses", Napi::Number::New(env, static_cast<double>(s.reuses)));
  }
  return o;
}

}  // namespace pspseg
