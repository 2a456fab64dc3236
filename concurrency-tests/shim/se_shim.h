/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the kernel APIs used by shadow_evict.[ch], in the
 * spirit of tools/testing/vma and tools/testing/radix-tree:
 *  - READ_ONCE/WRITE_ONCE and bitops are __atomic builtins, so ThreadSanitizer
 *    sees the intentional races as atomic accesses, not data races.
 *  - spinlock_t is a pthread mutex that records its owner, so
 *    lockdep_assert_held() is a real check.
 *  - RCU is liburcu (memb flavour), as in the radix-tree harness, with
 *    ThreadSanitizer annotations for the grace-period happens-before edge.
 * Every failed check goes through se_shim_fail(), which aborts.
 */
#ifndef SE_SHIM_H
#define SE_SHIM_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <urcu/urcu-memb.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#include <sanitizer/tsan_interface.h>
#define SE_TSAN 1
#endif

#define se_shim_fail(...) do {						\
	fprintf(stderr, "SHIM CHECK FAILED %s:%d: ", __FILE__, __LINE__);\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	abort();							\
} while (0)

/* ---- compiler.h / rwonce.h / kcsan-checks.h ---- */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ASSERT_EXCLUSIVE_WRITER(var)	do { } while (0)
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif
#define ____cacheline_aligned_in_smp	__attribute__((__aligned__(64)))

/* ---- minmax.h ---- */
#define min(a, b)	({ typeof(a) _a = (a); typeof(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b)	({ typeof(a) _a = (a); typeof(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b)	({ t _a = (a); t _b = (b); _a < _b ? _a : _b; })

/* ---- bug.h ---- */
#define WARN_ON_ONCE(cond) ({						\
	bool __c = !!(cond);						\
	if (__c)							\
		se_shim_fail("WARN_ON_ONCE(%s)", #cond);		\
	__c;								\
})

/* ---- slab.h ---- */
#define GFP_KERNEL		0
#define GFP_KERNEL_ACCOUNT	0
#define kcalloc(n, size, gfp)	calloc((n), (size))
#define kvcalloc(n, size, gfp)	calloc((n), (size))
#define kzalloc(size, gfp)	calloc(1, (size))
#define kfree(p)		free(p)
#define kvfree(p)		free(p)

/* ---- bitops.h: x86 semantics (set_bit unordered, test_and_* full) ---- */
#define BITS_PER_LONG		(8 * (int)sizeof(long))
static inline bool test_bit(long nr, const unsigned long *addr)
{
	return (__atomic_load_n(addr + nr / BITS_PER_LONG, __ATOMIC_RELAXED) >>
		(nr % BITS_PER_LONG)) & 1;
}

static inline void set_bit(long nr, unsigned long *addr)
{
	__atomic_fetch_or(addr + nr / BITS_PER_LONG, 1UL << (nr % BITS_PER_LONG),
			  __ATOMIC_RELAXED);
}

static inline void clear_bit(long nr, unsigned long *addr)
{
	__atomic_fetch_and(addr + nr / BITS_PER_LONG, ~(1UL << (nr % BITS_PER_LONG)),
			   __ATOMIC_RELAXED);
}

/* The kernel's try_cmpxchg(): full barrier on success; *old updated on failure. */
#define try_cmpxchg(ptr, oldp, new)						\
	__atomic_compare_exchange_n((ptr), (oldp), (new), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)

#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

static inline bool test_and_clear_bit(long nr, unsigned long *addr)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);

	return __atomic_fetch_and(addr + nr / BITS_PER_LONG, ~m, __ATOMIC_SEQ_CST) & m;
}

/* atomic_long_t: relaxed like the kernel's non-returning atomics. */
typedef struct {
	long counter;
} atomic_long_t;

static inline long atomic_long_read(const atomic_long_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic_long_set(atomic_long_t *v, long i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_long_add(long i, atomic_long_t *v)
{
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_long_inc(atomic_long_t *v)
{
	atomic_long_add(1, v);
}

/* ---- spinlock.h / lockdep.h ---- */
typedef struct {
	pthread_mutex_t m;
	unsigned long owner;	/* pthread_self() of the holder, 0 if free */
} spinlock_t;

static inline unsigned long se_shim_self(void)
{
	return (unsigned long)pthread_self();
}

static inline void spin_lock_init(spinlock_t *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->owner = 0;
}

static inline void spin_lock(spinlock_t *l)
{
	pthread_mutex_lock(&l->m);
	__atomic_store_n(&l->owner, se_shim_self(), __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != se_shim_self())
		se_shim_fail("spin_unlock by non-owner");
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->m);
}

static inline bool spin_is_held_by_me(spinlock_t *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == se_shim_self();
}

#define lockdep_assert_held(l) do {					\
	if (!spin_is_held_by_me(l))					\
		se_shim_fail("lockdep_assert_held(%s)", #l);		\
} while (0)

/* ---- rcupdate.h: liburcu memb; see the file comment ---- */
#undef rcu_read_lock
#undef rcu_read_unlock
#ifdef SE_TSAN
/*
 * ThreadSanitizer cannot see liburcu's grace periods.  Each reader releases
 * this token when it leaves its critical section, and every RCU callback
 * acquires it first (se_rcu_callback_enter()): callbacks then happen after
 * every critical section that ended before they ran, which is what a grace
 * period guarantees for pre-existing readers.  A reader still inside its
 * section when a callback frees its page gets no edge, so the race is
 * reported.
 */
extern char se_shim_rcu_token;
#define se_rcu_tsan_release()	__tsan_release(&se_shim_rcu_token)
#define se_rcu_tsan_queue(h)	__tsan_release(h)
#define se_rcu_callback_enter(h) do {					\
	__tsan_acquire(h);						\
	__tsan_acquire(&se_shim_rcu_token);				\
} while (0)
#else
#define se_rcu_tsan_release()	do { } while (0)
#define se_rcu_tsan_queue(h)	do { } while (0)
#define se_rcu_callback_enter(h) do { } while (0)
#endif

/* The caller's writes to the object happen before its callback, too. */
#undef call_rcu
static inline void call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *))
{
	se_rcu_tsan_queue(head);
	urcu_memb_call_rcu(head, fn);
}

static inline void rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

static inline void rcu_read_unlock(void)
{
	se_rcu_tsan_release();
	urcu_memb_read_unlock();
}

/* Harness-side RCU calls (never under the zap lock: DESIGN 9). */
#define rcu_register_thread	urcu_memb_register_thread
#define rcu_unregister_thread	urcu_memb_unregister_thread
#define rcu_barrier		urcu_memb_barrier
#define synchronize_rcu		urcu_memb_synchronize_rcu

#define lockdep_assert_in_rcu_read_lock() do {				\
	if (!urcu_memb_read_ongoing())					\
		se_shim_fail("not in an RCU read-side critical section");\
} while (0)

#endif /* SE_SHIM_H */
