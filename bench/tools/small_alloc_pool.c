// Diagnostic for bench:model's memory numbers (not part of the build): an LD_PRELOAD library that serves
// every allocation of <= 512 bytes from its own mmap'd region (16-byte size classes, free lists), so that
// small C++ objects (tensor and autograd metadata, N-API handles) never sit between tensor blocks in
// glibc's main heap; larger blocks stay glibc's, with the tuned settings of pspseg's addon.
//
//   gcc -O2 -shared -fPIC -o /tmp/small_alloc_pool.so bench/tools/small_alloc_pool.c -ldl -lpthread
//   LD_PRELOAD=/tmp/small_alloc_pool.so BENCH_DIR=... BENCH_MODEL=plain BENCH_LOSS=dcce node dist/bench/model_step.js
//   LD_PRELOAD=/tmp/small_alloc_pool.so GLIBC_TUNABLES=<bench/side_by_side.ts tunedGlibc> ... python3 bench/torch_model_step.py
//
// Measured (2026-11-29, 2 threads, peak RSS after 6-8 steps): PlainUNet 4 stages at 2x48x64x48 pspseg
// 1650-2130 MiB and PyTorch 1490-1760 MiB with glibc alone, 1162 and 1168 MiB with this library; PSP-Seg S
// 1140-1305 / 1210-1430 MiB, with it 854 / 921 MiB. Peak live heap bytes (counted by a malloc wrapper) were
// the same on both sides (plain 890 / 876 MiB): the rest of the RSS is fragmentation of glibc's main heap.
// A mutex guards the lists: slower than glibc for small objects, so compare memory with it, not time.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#define REGION (16UL << 30)
#define MAXS 512
static char *base, *bump;
static void *freel[MAXS / 16 + 1];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static inline int mine(void *p) { return base && (char *)p >= base && (char *)p < base + REGION; }
static void *small(size_t n) {
  size_t c = n ? (n + 15) / 16 : 1;
  pthread_mutex_lock(&mu);
  if (!base) { base = bump = mmap(0, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0); }
  void *p = freel[c];
  if (p) freel[c] = *(void **)p;
  else { char *h = bump; bump += 16 + c * 16; *(size_t *)h = c; p = h + 16; }
  pthread_mutex_unlock(&mu);
  return p;
}
void *malloc(size_t n) { return n <= MAXS ? small(n) : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { size_t n = a * b; if (n <= MAXS) { void *p = small(n); memset(p, 0, n); return p; } return __libc_calloc(a, b); }
void free(void *p) {
  if (!p) return;
  if (mine(p)) { size_t c = *(size_t *)((char *)p - 16); pthread_mutex_lock(&mu); *(void **)p = freel[c]; freel[c] = p; pthread_mutex_unlock(&mu); return; }
  __libc_free(p);
}
size_t malloc_usable_size(void *p) {
  if (!p) return 0;
  if (mine(p)) return *(size_t *)((char *)p - 16) * 16;
  static size_t (*real)(void *); if (!real) real = dlsym(RTLD_NEXT, "malloc_usable_size");
  return real(p);
}
void *realloc(void *p, size_t n) {
  if (!p) return malloc(n);
  if (mine(p)) {
    size_t have = *(size_t *)((char *)p - 16) * 16;
    if (n <= have && n > 0) return p;
    void *q = malloc(n); memcpy(q, p, have < n ? have : n); free(p); return q;
  }
  if (n <= MAXS) { size_t have = malloc_usable_size(p); void *q = small(n); memcpy(q, p, have < n ? have : n); __libc_free(p); return q; }
  return __libc_realloc(p, n);
}
