/*===- thread_pool.c - the threads a session's kernels run on -------------===*
 *
 * A session with N threads owns N-1 workers; the thread that calls
 * lathe_session_run is the N-th. A kernel hands its iterations to
 * parallel_for (lathe_kernel_services), which cuts [0, count) into at most
 * N equal ranges of at least `grain` iterations and lets every thread claim
 * ranges until none is left; the caller returns once all have run. Ranges
 * are claimed, not assigned, so a thread that is late (descheduled, asleep)
 * delays nothing it has not claimed.
 *
 * One atomic word holds the job's generation and the next unclaimed range.
 * A worker claims a range with a compare-and-swap that names the
 * generation it read the job under: once the caller opens a new job, a
 * claim on the old one fails, so no worker can run a range of one job with
 * the task of another. Between jobs workers spin briefly (kernels follow
 * one another within microseconds during a run), then sleep on a condition
 * variable until the next job or the session's release. A job allocates
 * nothing.
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LATHE_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define LATHE_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define LATHE_CPU_RELAX() ((void)0)
#endif

/* The claim word: generation in the high 32 bits, the next range in the
   low 32; CLOSED while the caller writes a job. */
#define CLAIM_CLOSED UINT64_C(0xffffffff)
#define CLAIM_GENERATION(word) ((word) >> 32)
#define CLAIM_RANGE(word) ((word) & CLAIM_CLOSED)

/* How long an idle worker spins before it sleeps (pause instructions):
   long enough to bridge the gap between two kernels of one run. */
#define SPIN_BEFORE_SLEEP 20000

struct lathe_thread_pool {
  lathe_allocator allocator;
  size_t threads; /* workers + the caller */
  pthread_t *workers;
  size_t started;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  _Atomic uint64_t claim;
  _Atomic int64_t unfinished; /* ranges of the current job not yet run */
  _Atomic int sleeping;
  _Atomic int stop;
  /* The current job, written while the claim word is CLOSED (atomics only
     so that a worker's stale read, which its failing claim then discards,
     is no data race). */
  _Atomic(lathe_task_fn) task;
  _Atomic(void *) context;
  _Atomic int64_t count, ranges;
};

/* Runs ranges of the job of `generation` until none is left to claim. */
static void run_ranges(lathe_thread_pool *pool, uint64_t generation) {
  uint64_t word = atomic_load_explicit(&pool->claim, memory_order_acquire);
  for (;;) {
    if (CLAIM_GENERATION(word) != generation || CLAIM_RANGE(word) == CLAIM_CLOSED)
      return;
    int64_t ranges = atomic_load_explicit(&pool->ranges, memory_order_relaxed);
    int64_t range = (int64_t)CLAIM_RANGE(word);
    if (range >= ranges)
      return;
    if (!atomic_compare_exchange_weak_explicit(&pool->claim, &word, word + 1, memory_order_acq_rel,
                                               memory_order_acquire))
      continue;
    /* Claimed under `generation`: the job cannot change before this range
       is counted as run. */
    int64_t count = atomic_load_explicit(&pool->count, memory_order_relaxed);
    lathe_task_fn task = atomic_load_explicit(&pool->task, memory_order_relaxed);
    void *context = atomic_load_explicit(&pool->context, memory_order_relaxed);
    task(context, count * range / ranges, count * (range + 1) / ranges);
    atomic_fetch_sub_explicit(&pool->unfinished, 1, memory_order_release);
    word = atomic_load_explicit(&pool->claim, memory_order_acquire);
  }
}

static void *worker_main(void *argument) {
  lathe_thread_pool *pool = argument;
  uint64_t seen = 0;
  for (;;) {
    uint64_t word = atomic_load_explicit(&pool->claim, memory_order_acquire);
    for (int spins = 0; CLAIM_GENERATION(word) == seen && !atomic_load(&pool->stop); ++spins) {
      if (spins < SPIN_BEFORE_SLEEP) {
        LATHE_CPU_RELAX();
      } else {
        pthread_mutex_lock(&pool->mutex);
        atomic_fetch_add(&pool->sleeping, 1);
        while (CLAIM_GENERATION(atomic_load(&pool->claim)) == seen && !atomic_load(&pool->stop))
          pthread_cond_wait(&pool->wake, &pool->mutex);
        atomic_fetch_sub(&pool->sleeping, 1);
        pthread_mutex_unlock(&pool->mutex);
      }
      word = atomic_load_explicit(&pool->claim, memory_order_acquire);
    }
    if (atomic_load(&pool->stop))
      return NULL;
    seen = CLAIM_GENERATION(word);
    run_ranges(pool, seen);
  }
}

static void wake_sleepers(lathe_thread_pool *pool) {
  if (atomic_load(&pool->sleeping) > 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
  }
}

void lathe_thread_pool_run(lathe_thread_pool *pool, lathe_task_fn task, void *context,
                           int64_t count, int64_t grain) {
  if (count <= 0)
    return;
  int64_t threads = pool ? (int64_t)pool->threads : 1;
  int64_t ranges = count / (grain > 0 ? grain : 1);
  if (ranges > threads)
    ranges = threads;
  if (ranges <= 1) {
    task(context, 0, count);
    return;
  }
  uint64_t generation =
      CLAIM_GENERATION(atomic_load_explicit(&pool->claim, memory_order_relaxed)) + 1;
  atomic_store_explicit(&pool->claim, generation << 32 | CLAIM_CLOSED, memory_order_seq_cst);
  atomic_store_explicit(&pool->task, task, memory_order_relaxed);
  atomic_store_explicit(&pool->context, context, memory_order_relaxed);
  atomic_store_explicit(&pool->count, count, memory_order_relaxed);
  atomic_store_explicit(&pool->ranges, ranges, memory_order_relaxed);
  atomic_store_explicit(&pool->unfinished, ranges, memory_order_relaxed);
  atomic_store_explicit(&pool->claim, generation << 32, memory_order_seq_cst);
  wake_sleepers(pool);
  run_ranges(pool, generation);
  while (atomic_load_explicit(&pool->unfinished, memory_order_acquire) > 0)
    LATHE_CPU_RELAX();
}

static void services_parallel_for(const lathe_kernel_services *services, lathe_task_fn task,
                                  void *context, int64_t count, int64_t grain) {
  lathe_thread_pool_run(services->pool, task, context, count, grain);
}

void lathe_thread_pool_services(lathe_thread_pool *pool, lathe_kernel_services *services) {
  services->parallel_for = services_parallel_for;
  services->pool = pool;
}

void lathe_thread_pool_release(lathe_thread_pool *pool) {
  if (!pool)
    return;
  atomic_store(&pool->stop, 1);
  pthread_mutex_lock(&pool->mutex);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (size_t i = 0; i < pool->started; ++i)
    pthread_join(pool->workers[i], NULL);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  lathe_allocator a = pool->allocator;
  if (pool->workers)
    a.release(a.self, pool->workers);
  a.release(a.self, pool);
}

lathe_status_code lathe_thread_pool_create(lathe_allocator allocator, size_t threads,
                                           lathe_thread_pool **out, lathe_status *status) {
  *out = NULL;
  lathe_thread_pool *pool = allocator.allocate(allocator.self, sizeof(*pool), 64);
  if (!pool)
    return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory creating a thread pool");
  memset(pool, 0, sizeof(*pool));
  pool->allocator = allocator;
  pool->threads = threads;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  if (threads > 1) {
    pool->workers = allocator.allocate(allocator.self, sizeof(pthread_t) * (threads - 1), 8);
    if (!pool->workers) {
      lathe_thread_pool_release(pool);
      return lathe_fail(status, LATHE_OUT_OF_MEMORY, "out of memory creating a thread pool");
    }
  }
  for (size_t i = 0; i + 1 < threads; ++i) {
    int error = pthread_create(&pool->workers[i], NULL, worker_main, pool);
    if (error) {
      lathe_thread_pool_release(pool);
      return lathe_fail(status, LATHE_BACKEND_ERROR,
                        "cannot start thread %zu of %zu for the session: %s", i + 2, threads,
                        strerror(error));
    }
    pool->started = i + 1;
  }
  *out = pool;
  return LATHE_OK;
}

size_t lathe_default_threads(void) {
  const char *text = getenv("LATHE_NUM_THREADS");
  if (text && *text) {
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (end && !*end && value >= 1)
      return value > LATHE_MAX_THREADS ? LATHE_MAX_THREADS : (size_t)value;
  }
  return 1;
}
