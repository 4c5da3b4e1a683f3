// Diagnostic for the memory guard's estimate (not part of the build): an LD_PRELOAD library that counts
// the bytes malloc has handed out and not yet taken back (malloc_usable_size of every live block) and
// prints the peak at exit, so that a training step's live memory can be told apart from the resident
// memory glibc's fragmented heap holds (pspseg's addon never returns freed memory to the OS).
//
//   gcc -O2 -shared -fPIC -o /tmp/live_heap_peak.so bench/tools/live_heap_peak.c
//   LD_PRELOAD=/tmp/live_heap_peak.so node dist/bench/method_step.js '{...}'   # last stderr line: live_heap_peak_mb
//
// SIGUSR2 prints the live bytes now and the peak since the previous SIGUSR2 (then starts a new peak):
// bench/method_step.ts sends it after each phase of a step when BENCH_PHASE_SIGNAL is set.
#define _GNU_SOURCE
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t), *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static _Atomic long live, peak, phasePeak;
static void *count(void *p) {
  if (p) {
    long now = atomic_fetch_add(&live, (long)malloc_usable_size(p)) + (long)malloc_usable_size(p);
    long old = atomic_load(&peak);
    while (now > old && !atomic_compare_exchange_weak(&peak, &old, now)) {}
    old = atomic_load(&phasePeak);
    while (now > old && !atomic_compare_exchange_weak(&phasePeak, &old, now)) {}
  }
  return p;
}
static void uncount(void *p) { if (p) atomic_fetch_sub(&live, (long)malloc_usable_size(p)); }
void *malloc(size_t n) { return count(__libc_malloc(n)); }
void *calloc(size_t a, size_t b) { return count(__libc_calloc(a, b)); }
void free(void *p) { uncount(p); __libc_free(p); }
void *realloc(void *p, size_t n) { uncount(p); return count(__libc_realloc(p, n)); }
void *memalign(size_t a, size_t n) { return count(__libc_memalign(a, n)); }
void *aligned_alloc(size_t a, size_t n) { return count(__libc_memalign(a, n)); }
int posix_memalign(void **out, size_t a, size_t n) {
  void *p = __libc_memalign(a, n);
  if (!p) return ENOMEM;
  *out = count(p);
  return 0;
}
__attribute__((destructor)) static void report(void) {
  fprintf(stderr, "{\"live_heap_peak_mb\":%.1f}\n", atomic_load(&peak) / 1048576.0);
}
static void onSignal(int sig) {
  (void)sig;
  char buf[128];
  long now = atomic_load(&live);
  int n = snprintf(buf, sizeof buf, "{\"live_mb\":%.1f,\"phase_peak_mb\":%.1f}\n", now / 1048576.0, atomic_exchange(&phasePeak, now) / 1048576.0);
  if (n > 0) (void)!write(2, buf, (size_t)n);
}
__attribute__((constructor)) static void install(void) { signal(SIGUSR2, onSignal); }
