/*
 * SPIN model of the sharded shadow-page eviction protocol
 * (SE_POLICY_SHARDED in kernel/src/arch/x86/kvm/mmu/shadow_evict.c as of
 * commit 663a9b6: the sharded protocol of patches 0015-0017, without probation
 * and laps of credit; design/DESIGN.md §5, §6, §7.1 and §11).
 * Run it with design/model/check.sh; what it shows: design/model/README.md.
 *
 * ---------------------------------------------------------------------------
 * World
 * ---------------------------------------------------------------------------
 * NP = 3 shadow pages (struct kvm_mmu_page with its embedded se_page;
 * -DNP=4 adds a fourth, far beyond check.sh's budget: README.md), NS = 2
 * shards.  Page 0 is a root: always allocated, always on a ring, never
 * evictable (root_count > 0: ops->evictable() false, ops->pinned() true).
 * The other pages are allocated, inserted, zapped, RCU-freed and allocated
 * again, so a page's memory is reused.  Start: shard 0 = {R, 1}, shard 1 =
 * {2} (page 3, with -DNP=4, in the allocator).
 *
 * Rings are the kernel's circular lists, node for node: nxt[]/prv[] over
 * nodes 0..NP-1 (pages) and NP+s (the head of shard s), so
 * list_add_tail(&p->ring, s->hand), __se_ring_del() moving the hand off the
 * page, and __se_hand_step() skipping the head are the same pointer
 * operations as in C.  The ready list is an array in FIFO order (rq[]),
 * with queued[p] standing for !list_empty(&p->ready).
 *
 * Page lifetime st[p]: FREE (allocator) -> LIVE (se_insert()ed, on a ring)
 * -> GONE (zapped: se_remove()d, call_rcu() issued) -> FREE (the RCU
 * callback, kvm_mmu_free_shadow_page_rcu(), after a grace period).
 *
 * ---------------------------------------------------------------------------
 * Processes -> C
 * ---------------------------------------------------------------------------
 * vcpu()    se_mark() from a vCPU walking its page tables without the zap
 *           lock (a lockless walk runs with IRQs off, which is an RCU
 *           read-side section).  Step 1: enter the read side and reach a
 *           page that is on a ring (page tables reach only linked pages).
 *           Step 2: set its referenced bit (set_bit(); the test_bit()
 *           before it only saves a store) and leave the read side.  The
 *           hardware Accessed bit that ops->test_and_clear_young() harvests
 *           is folded into the same bit: same agent, same lifetime rule.
 * reb()     the rebalancer worker, se_rebalance() (sharded branch) in a
 *           loop, so every wake-up timing is covered (KVM_SE_WAKE/IDLE only
 *           decide *when* it runs):
 *             READ_ONCE hints of nr_pages / nr_ready, rcu_read_lock();
 *             se_collect(): hand steps (se_hand_step() under the shard
 *               lock: one indivisible step), ops->pinned(),
 *               se_page_young(), se_ready_push() (under ready_lock: queue
 *               only if p->shard != SE_NO_SHARD and not queued);
 *             if nr_ready: zap_lock(); se_zap_ready(): se_ready_pop()
 *               (ready_lock), se_still_victim(), ops->zap(); zap_unlock();
 *             rcu_read_unlock().
 *           The sweep's bookkeeping (cursor, quanta, SE_SCAN_BUDGET, want)
 *           is replaced by free choice: each step may take any non-empty
 *           shard, and the collect may stop after any step.  That covers
 *           every budget, watermark and cursor value (the model may do
 *           more than the code, never less), so a property proved here
 *           holds for all of them.
 * fault()   the vCPU fault path under kvm->mmu_lock (the zap lock):
 *           optionally se_reclaim(1) (make_mmu_pages_available(), the
 *           shrinker) -> se_reclaim_clock():
 *             rcu_read_lock();
 *             phase 0: se_zap_ready() (pops ready pages, rechecks them);
 *             phase 1: se_sweep_next() exactly: round robin, a quantum
 *               (se_quantum()) per shard, at most limit = min(2 *
 *               (nr_pages + nr_shards), SE_SCAN_BUDGET) fruitless steps
 *               (with nr = 1, idle == steps); se_page_young() then
 *               ops->evictable(); cursor/cursor_left being racy hints
 *               written by every sweep, it starts at any shard with any
 *               part of a quantum;
 *             phase 2: se_reclaim_walk() per shard: from the ring's tail
 *               by ->prev links, zapping every evictable page (NOT the
 *               hands: see BROKEN_HAND_SHARING);
 *             rcu_read_unlock();
 *           then optionally a new shadow page: se_page_init() +
 *           se_insert() into shard 0 or 1 (just behind its hand).
 * rcu_cb()  the RCU callbacks: a GONE page is freed once every reader that
 *           was inside a read-side section when call_rcu() was issued has
 *           left it (rcu_wait[p], below).
 *
 * Locks.  The zap lock (kvm->mmu_lock held for write) is held across many
 * steps, so it is a real variable (zl) and everything done under it
 * interleaves with the lock-free side.  The shard locks and ready_lock
 * are held only for O(1), non-blocking sections (a hand step, an insert,
 * a remove, a push, a pop), nested shard lock -> ready_lock; each such
 * section is one indivisible step (d_step) here, which gives exactly the
 * mutual exclusion the spinlocks give (nothing blocks inside them, so no
 * waiting or ordering behaviour is hidden).  Reads the C code does without
 * those locks (hints, p->shard under the zap lock) are separate steps.
 *
 * RCU.  rcu_in = readers inside a read-side section now (a bit per reader:
 * vCPU, worker, direct reclaim).  call_rcu(p) records rcu_wait[p] =
 * rcu_in; rcu_read_unlock() by reader r clears bit r in every rcu_wait[];
 * the callback may run once rcu_wait[p] == 0.  That is the grace-period
 * guarantee exactly: it waits for the pre-existing readers and for nothing
 * else.  call_rcu() is issued at the zap itself, not at the later commit
 * (kvm_mmu_commit_zap_page()): that waits for fewer readers than the
 * kernel does, so it can only make the model more permissive; a reader
 * that starts after the zap cannot reach the page (off its ring, off the
 * ready list).
 *
 * Abstracted away (and why it does not matter for P1-P3):
 *  - ops->zap() removes exactly the page asked for (no parent/child
 *    groups), so se_reclaim_walk()'s restart never triggers; the root is
 *    permanent (zapped roots that linger off their ring are not modelled).
 *  - se_zap_ready()'s yield (after SE_MIN_BATCH = 10 zaps: unreachable with
 *    two evictable pages) and se_ready_putback().
 *  - se_shard_add(): both shards exist from the start.
 *  - watermarks: wmark_low = 1 (the root), so the worker works whenever an
 *    evictable page exists; max_pages = NP (the pool is the quota).
 *  - se_page_young(): test_bit + test_and_clear_bit as one atomic
 *    test-and-clear (the split only decides which lap sees a mark,
 *    DESIGN 10.2).  The root's referenced bit: nothing decides on it
 *    (pinned for the worker, not evictable for direct reclaim), so the
 *    vCPU does not mark the root.
 *  - statistics, the TLB flush in commit, the account hooks.
 *
 * ---------------------------------------------------------------------------
 * Properties (assertions; pan runs in safety mode, -DSAFETY)
 * ---------------------------------------------------------------------------
 * P1 (lifetime).  holds[r] is the page lock-free reader r has a pointer to
 *   and may still dereference: set where it obtains the pointer (a hand
 *   step under the shard lock; reaching the page from the page tables),
 *   cleared after its last use.  The free step asserts that no reader
 *   holds the page.  That is "freed while the lock-free side may still
 *   touch it", literally, and it survives memory reuse: a freed page may
 *   be allocated again and look LIVE, so a check at the later touch could
 *   miss the use-after-free; a check at the free cannot.  Every touch also
 *   asserts st != FREE (redundant, cheap).
 * P2 (no page lost; the ready list is exact).  p2_check() walks every ring
 *   by its links: each ring is a well-formed circular list of s->nr nodes;
 *   every node on shard s's ring is a LIVE page with p->shard == s; every
 *   LIVE page is on exactly one ring and no other page is on any; nr_pages
 *   counts them; each hand points into its own ring (a page or the head);
 *   the root is LIVE; the ready list holds nr_ready distinct pages, each
 *   LIVE and on a ring (p->shard != SE_NO_SHARD) and marked queued, and no
 *   other page is marked queued.  Allocated = LIVE or GONE, GONE being
 *   "being freed" (off every ring, freed by the callback).  The check runs
 *   at the end of every step that writes a variable it reads (insert, zap,
 *   hand step, push, pop, free, and the initial state); all other steps
 *   leave them alone, so the invariant holds in every reachable state.
 *   (A monitor process would check the same at twice the states.)
 * P3 (direct reclaim fails only where FIFO would).  At the end of
 *   se_reclaim(1), still under the zap lock: zapped nothing implies that
 *   no evictable (non-root) page is on any ring.  Under the zap lock only
 *   its holder changes ring membership and it held the lock for the whole
 *   reclaim, so the check is exact there.
 * Each assertion is tagged with its property (p1_assert() ...), so that
 * check.sh can tell which one a counterexample violates; sane_assert()s
 * check the model's own use of its locks.
 *
 * Narration: printf lines starting "@@" say what happens in C terms; they
 * are printed only when a trail is replayed (check.sh shows them).
 *
 * Deliberately broken variants (check.sh requires SPIN to reject each, on
 * the property named):
 *  -DBROKEN_HAND_SHARING   phase 2 steps the shards' hands for one lap
 *      (s->nr steps each), as the core first did, "assuming
 *      only zaps move the hands".  The worker's collect moves them too,
 *      under the shard lock alone: {R, C}, hand at R; phase 2 takes R; the
 *      worker steps over C; phase 2 takes R again; nothing zapped:
 *      -ENOSPC where FIFO zaps C.  Violates P3.
 *  -DBROKEN_NO_GRACE       pages are freed without a grace period (kfree
 *      at commit, like SE_TEST_BREAK_LIFETIME in the userspace harness).
 *      Violates P1.
 *  -DBROKEN_PUSH_UNCHECKED se_ready_push() queues without testing
 *      p->shard != SE_NO_SHARD under ready_lock, so a page the sweep found
 *      cold and that was zapped meanwhile is queued.  Violates P2.
 */

#ifndef NP
#define NP	3		/* pages (3, or 4: see the top); page 0: root */
#endif
#define NS	2		/* shards */
#define ROOT	0
#define NONE	255		/* NULL page / no owner */
#define NOSH	255		/* SE_NO_SHARD */
#define HEAD(s)	(NP + (s))	/* list head node of shard s's ring */
#define NN	(NP + NS)

/* st[p] */
#define FREE	0
#define LIVE	1
#define GONE	2

/* RCU readers: bit numbers in rcu_in / rcu_wait[], index into holds[] */
#define R_VCPU	0
#define R_REB	1
#define R_DR	2
#define NR	3

/* zap lock owners */
#define Z_REB	1
#define Z_DR	2

#define WMARK_LOW	1	/* the root */
#define SE_BATCH	16
#define SE_SCAN_BUDGET	(16 * SE_BATCH)
#define SE_SWEEP_ROUND	32

#define MIN(a, b)	((a) < (b) -> (a) : (b))
#define MAX(a, b)	((a) > (b) -> (a) : (b))

/*
 * Every assertion names what it checks, so that check.sh can tell which
 * property a counterexample violates: pan prints the failing expression,
 * e.g. "assertion violated (P3&&(...))".  The flags are constant 1.
 */
bit P1 = 1, P2 = 1, P3 = 1, SANE = 1;
#define p1_assert(e)	assert(P1 && (e))	/* lifetime */
#define p2_assert(e)	assert(P2 && (e))	/* no page lost; ready list */
#define p3_assert(e)	assert(P3 && (e))	/* direct reclaim like FIFO */
#define sane_assert(e)	assert(SANE && (e))	/* the model's own use of locks */

byte nxt[NN];		/* list_head.next of every node */
byte prv[NN];		/* list_head.prev */
byte hand[NS];		/* se_shard.hand: a page on the ring or HEAD(s) */
byte snr[NS];		/* se_shard.nr */
byte pshard[NP];	/* se_page.shard */
bit ref[NP];		/* SE_PAGE_REFERENCED (and the hardware Accessed bit) */
byte st[NP];		/* FREE / LIVE / GONE */
byte rq[NP];		/* se_cache.ready, oldest first; NONE past nready */
byte nready;		/* se_cache.nr_ready */
bit queued[NP];		/* !list_empty(&p->ready) */
byte nr_pages;		/* se_cache.nr_pages */
byte zl = NONE;		/* zap lock (kvm->mmu_lock) owner */
byte rcu_in;		/* readers inside rcu_read_lock() now */
byte rcu_wait[NP];	/* readers page p's grace period still waits for */
byte holds[NR];		/* page reader r may still dereference, or NONE */

/* scratch for d_steps only, always 0 between steps (not "hidden": BFS) */
byte tmp_s, tmp_i, c_s, c_x, c_cnt, c_seen, c_hok, c_tot;

#define SAY	printf	/* trail narration; pan does not print */

/* ---- P2: the structural invariant --------------------------------------
 * Called at the end of every step that writes any variable it reads (ring
 * links, hands, s->nr, p->shard, st, the ready list, nr_pages): insert,
 * zap, hand step, push, pop, free, and the initial state.  Every other
 * step leaves those variables alone, so the invariant is checked in every
 * reachable state without a monitor process (which would double the
 * states).
 */
inline p2_check()
{
	c_s = 0;
	c_seen = 0;
	c_tot = 0;
	do
	:: c_s < NS ->
		c_cnt = 0;
		c_hok = (hand[c_s] == HEAD(c_s));
		p2_assert(prv[nxt[HEAD(c_s)]] == HEAD(c_s));
		c_x = nxt[HEAD(c_s)];
		do
		:: c_x != HEAD(c_s) ->
			p2_assert(c_x < NP && c_cnt < NP);	/* a page; no cycle */
			p2_assert(st[c_x] == LIVE && pshard[c_x] == c_s);
			p2_assert(prv[nxt[c_x]] == c_x);
			p2_assert((c_seen & (1 << c_x)) == 0); /* on one ring once */
			c_seen = c_seen | (1 << c_x);
			if
			:: hand[c_s] == c_x -> c_hok = 1
			:: else
			fi;
			c_cnt++;
			c_x = nxt[c_x]
		:: else -> break
		od;
		p2_assert(c_cnt == snr[c_s]);
		p2_assert(c_hok);			/* the hand is on its ring */
		c_tot = c_tot + c_cnt;
		c_s++
	:: else -> break
	od;
	p2_assert(c_tot == nr_pages);
	p2_assert(st[ROOT] == LIVE);
	c_x = 0;
	do
	:: c_x < NP ->
		/* on a ring <=> LIVE; off every ring => SE_NO_SHARD */
		p2_assert((st[c_x] == LIVE) == ((c_seen & (1 << c_x)) != 0));
		p2_assert(st[c_x] == LIVE || pshard[c_x] == NOSH);
		c_x++
	:: else -> break
	od;
	/* the ready list: distinct, LIVE, on a ring, and exactly the queued */
	c_x = 0;
	c_seen = 0;
	do
	:: c_x < NP ->
		if
		:: c_x < nready ->
			p2_assert(rq[c_x] < NP);
			p2_assert(st[rq[c_x]] == LIVE && pshard[rq[c_x]] != NOSH);
			p2_assert(queued[rq[c_x]]);
			p2_assert((c_seen & (1 << rq[c_x])) == 0);
			c_seen = c_seen | (1 << rq[c_x])
		:: else -> p2_assert(rq[c_x] == NONE)
		fi;
		c_x++
	:: else -> break
	od;
	c_x = 0;
	do
	:: c_x < NP -> p2_assert(queued[c_x] == ((c_seen & (1 << c_x)) != 0)); c_x++
	:: else -> break
	od;
	c_s = 0; c_x = 0; c_cnt = 0; c_seen = 0; c_hok = 0; c_tot = 0
}

/* ---- list primitives (callers hold the locks; used inside d_steps) ----- */

/* list_add_tail(&p->ring, s->hand); s->nr++ (__se_ring_add(), CLOCK) */
inline ring_add(s, p)
{
	nxt[p] = hand[s];
	prv[p] = prv[hand[s]];
	nxt[prv[hand[s]]] = p;
	prv[hand[s]] = p;
	snr[s]++
}

/* __se_ring_del(): the hand never points at a node off the ring */
inline ring_del(s, p)
{
	if
	:: hand[s] == p -> hand[s] = nxt[p]
	:: else
	fi;
	nxt[prv[p]] = nxt[p];
	prv[nxt[p]] = prv[p];
	nxt[p] = NONE;
	prv[p] = NONE;
	snr[s]--
}

/* __se_hand_step(): the page at the hand (the head skipped); hand moves on */
inline hand_step(s, ret)
{
	ret = hand[s];
	if
	:: ret == HEAD(s) -> ret = nxt[ret]
	:: else
	fi;
	if
	:: ret == HEAD(s) -> ret = NONE
	:: else -> hand[s] = nxt[ret]
	fi
}

/* list_del_init(&p->ready), nr_ready--, keeping rq[] packed */
inline rq_del(p)
{
	tmp_i = 0;
	do
	:: rq[tmp_i] == p -> break
	:: else -> tmp_i++
	od;
	do
	:: tmp_i + 1 < nready -> rq[tmp_i] = rq[tmp_i + 1]; tmp_i++
	:: else -> break
	od;
	nready--;
	rq[nready] = NONE;
	queued[p] = 0;
	tmp_i = 0
}

/* The lock-free side dereferences p: P1's cheap form (see P1 above). */
#define TOUCH(p)	p1_assert(st[p] != FREE)

/* se_page_young(): test and clear the referenced bit, one atomic step */
inline page_young(p, y)
{
	TOUCH(p);
	y = ref[p];
	ref[p] = 0
}

/*
 * One step of se_sweep_next(): se_hand_step() on some shard, under its
 * lock.  Which shard, and how many steps a sweep takes, are counters in C
 * (cursor, cursor_left, se_quantum(), the scan budgets); here they are
 * free choices, so every order and every budget is explored.  The root
 * keeps one ring non-empty, so a step always finds a page.  who: the
 * lock-free reader whose holds[] gets the page, or NONE for the zap-lock
 * holder (whom the zap lock alone protects).
 */
inline sweep_step(ret, who)
{
	if
	:: d_step {
		snr[0] > 0 ->
		hand_step(0, ret);
		if
		:: who != NONE -> holds[who] = ret;
			SAY("@@ worker's hand on shard 0 gives page %d\n", ret)
		:: else
		fi;
		p2_check()
	   }
	:: d_step {
		snr[1] > 0 ->
		hand_step(1, ret);
		if
		:: who != NONE -> holds[who] = ret;
			SAY("@@ worker's hand on shard 1 gives page %d\n", ret)
		:: else
		fi;
		p2_check()
	   }
	fi
}

/* se_quantum(), lockless hints */
inline quantum(s, q)
{
	q = 1 + snr[s] * SE_SWEEP_ROUND / MAX(nr_pages, 1);
	q = MIN(q, MAX(snr[s], 1))
}

/*
 * se_sweep_next() as direct reclaim's phase 1 runs it: round-robin over
 * the shards, a quantum of hand steps on each, every hand step one
 * shard-lock section; ret = NONE once every shard was found empty.
 */
inline sweep_next(sh, left, dry, q, ret)
{
	do
	:: dry >= NS -> ret = NONE; break
	:: else ->
		d_step {
			if
			:: left == 0 -> quantum(sh, q); left = q; q = 0
			:: else
			fi;
			hand_step(sh, ret);
			if
			:: ret != NONE ->
				dry = 0;
				left--;
				if
				:: left == 0 -> sh = (sh + 1) % NS
				:: else
				fi
			:: else ->
				dry++;
				left = 0;
				sh = (sh + 1) % NS
			fi;
			p2_check()
		};
		if
		:: ret != NONE -> break
		:: else
		fi
	od;
	dry = 0
}

/* ---- zap lock and RCU -------------------------------------------------- */

inline zap_lock(me)
{
	atomic { zl == NONE -> zl = me }
}

inline zap_unlock(me)
{
	d_step { sane_assert(zl == me); zl = NONE }
}

inline rcu_read_lock(r)
{
	rcu_in = rcu_in | (1 << r)
}

/* Leaving the read side ends every grace period that waits for it. */
inline rcu_read_unlock(r)
{
	sane_assert(holds[r] == NONE);
	rcu_in = rcu_in & ~(1 << r);
	tmp_i = 0;
	do
	:: tmp_i < NP -> rcu_wait[tmp_i] = rcu_wait[tmp_i] & ~(1 << r); tmp_i++
	:: else -> break
	od;
	tmp_i = 0
}

/*
 * ops->zap() -> __kvm_mmu_prepare_zap_page() -> se_remove(), zap lock
 * held: shard lock; ring unlink (hand moved off p); nested ready_lock:
 * ready unlink and SE_NO_SHARD in one section; then call_rcu().
 */
inline zap(p, who, zapped)
{
	d_step {
		sane_assert(zl == who);
		sane_assert(st[p] == LIVE && pshard[p] != NOSH && p != ROOT);
		tmp_s = pshard[p];
		ring_del(tmp_s, p);
		if
		:: queued[p] -> rq_del(p)
		:: else
		fi;
		pshard[p] = NOSH;
		nr_pages--;
		st[p] = GONE;
#ifdef BROKEN_NO_GRACE
		rcu_wait[p] = 0;	/* freed without waiting for readers */
#else
		rcu_wait[p] = rcu_in;	/* call_rcu(): pre-existing readers */
#endif
		if
		:: who == Z_DR -> SAY("@@ direct zaps page %d (shard %d)\n", p, tmp_s)
		:: else -> SAY("@@ worker zaps page %d (shard %d)\n", p, tmp_s)
		fi;
		tmp_s = 0;
		zapped++;
		p2_check()
	}
}

/*
 * se_zap_ready(), zap lock and RCU held: se_ready_pop() under ready_lock,
 * se_still_victim() (still on a ring, evictable, not young), zap.
 */
inline zap_ready(nr, zapped, p, y, who)
{
	do
	:: zapped < nr ->
		d_step {	/* se_ready_pop() */
			if
			:: nready > 0 ->
				p = rq[0];
				rq_del(p);
				if
				:: who == Z_DR -> SAY("@@ direct phase 0 pops ready page %d\n", p)
				:: else -> SAY("@@ worker pops ready page %d\n", p)
				fi;
				p2_check()
			:: else -> p = NONE
			fi
		};
		if
		:: p == NONE -> break
		:: else
		fi;
		d_step {	/* se_still_victim() */
			if
			:: pshard[p] == NOSH || p == ROOT -> y = 1
			:: else -> page_young(p, y)
			fi;
			if
			:: y ->
				SAY("@@ ready page %d is no victim any more\n", p);
				p = NONE; y = 0
			:: else
			fi
		};
		if
		:: p != NONE -> zap(p, who, zapped); p = NONE
		:: else
		fi
	:: else -> break
	od;
	skip	/* (SPIN: a jump may not target a d_step) */
}

/* P3's condition: an evictable page (a non-root page) is on a ring */
#if NP == 4
#define EVICTABLE_LEFT	(st[1] == LIVE || st[2] == LIVE || st[3] == LIVE)
#else
#define EVICTABLE_LEFT	(st[1] == LIVE || st[2] == LIVE)
#endif

/* ======================================================================= */

/* se_mark() from a vCPU, without the zap lock */
proctype vcpu()
{
	byte p = NONE;

end_v:
	do
	:: atomic {
		/*
		 * rcu_read_lock() (the lockless walk); reach a page on a ring.
		 * Not the root: its referenced bit decides nothing (the worker
		 * passes roots over, direct reclaim keeps them either way) and
		 * it is never freed, so marking it would only double the states.
		 */
		if
		:: st[1] == LIVE -> p = 1
		:: st[2] == LIVE -> p = 2
#if NP == 4
		:: st[3] == LIVE -> p = 3
#endif
		fi;
		rcu_read_lock(R_VCPU);
		holds[R_VCPU] = p;
		SAY("@@ vcpu reaches page %d (lockless walk)\n", p)
	   };
	   d_step {
		/* se_mark(): if (!test_bit(REF)) set_bit(REF); walk ends */
		TOUCH(p);
		if
		:: !ref[p] -> SAY("@@ vcpu marks page %d referenced\n", p)
		:: else
		fi;
		ref[p] = 1;
		holds[R_VCPU] = NONE;
		p = NONE;
		rcu_read_unlock(R_VCPU)
	   }
	od
}

/* the rebalancer worker: se_rebalance(), sharded branch, forever */
proctype reb()
{
	byte want, p = NONE, y, zapped;
	bit act, col;

end_r:
	do
	:: d_step {
		/* nr = READ_ONCE(nr_pages); if (nr <= low) return 0; */
		if
		:: nr_pages > WMARK_LOW ->
			act = 1;
			rcu_read_lock(R_REB);
			/* ready = READ_ONCE(nr_ready); if (ready < nr - low) */
			col = (nready < nr_pages - WMARK_LOW)
		:: else -> act = 0
		fi
	   };
	   if
	   :: !act -> skip
	   :: else ->
		/* se_collect(): any number of steps (its want and budget) */
		do
		:: col ->
			sweep_step(p, R_REB);
			d_step {
				/* ops->pinned() (root_count: constant here),
				 * else se_page_young() */
				TOUCH(p);
				if
				:: p == ROOT -> y = 1
				:: else ->
					page_young(p, y);
					if
					:: y -> SAY("@@ worker steps over page %d (young)\n", p)
					:: else
					fi
				fi;
				if
				:: y -> holds[R_REB] = NONE; p = NONE; y = 0
				:: else
				fi
			};
			if
			:: p != NONE ->
				/* se_ready_push() under ready_lock */
				d_step {
					TOUCH(p);
#ifdef BROKEN_PUSH_UNCHECKED
					if
					:: !queued[p] ->
#else
					if
					:: pshard[p] != NOSH && !queued[p] ->
#endif
						rq[nready] = p;
						nready++;
						queued[p] = 1;
						SAY("@@ worker queues cold page %d\n", p)
					:: else
					fi;
					holds[R_REB] = NONE;
					p = NONE;
					p2_check()
				}
			:: else
			fi
		:: break
		od;
		col = 0;
		/* if (READ_ONCE(nr_ready)) zap from the ready list */
		if
		:: nready > 0 ->
			zap_lock(Z_REB);
			if
			:: nr_pages > WMARK_LOW ->
				want = MIN(SE_BATCH, nr_pages - WMARK_LOW);
				zap_ready(want, zapped, p, y, Z_REB)
			:: else
			fi;
			zap_unlock(Z_REB)
		:: else
		fi;
		d_step {
			rcu_read_unlock(R_REB);
			want = 0; zapped = 0; act = 0
		}
	   fi
	od
}

/* the fault path under mmu_lock: se_reclaim(1), then maybe a new page */
proctype fault()
{
	byte zapped, p = NONE, y, q, steps, limit, s, pos;
	byte sh, left, dry;

end_f:
	do
	:: zap_lock(Z_DR);
	   if
	   :: SAY("@@ direct reclaim of 1 page starts\n");
		/* se_reclaim() -> se_reclaim_clock(); rcu_read_lock() */
		rcu_read_lock(R_DR);
		/* phase 0: ready pages */
		zap_ready(1, zapped, p, y, Z_DR);
		/*
		 * phase 1: second chance on the hands, exactly as in C:
		 * limit = 2 * (nr_pages + nr_shards) fruitless steps (and the
		 * SE_SCAN_BUDGET cap); with nr = 1 "idle" equals "steps".
		 * se_sweep_begin(): cursor/cursor_left are racy hints written
		 * by every sweep, so any shard and any partial quantum is a
		 * possible start.
		 */
		atomic {
			limit = MIN(2 * (nr_pages + NS), SE_SCAN_BUDGET);
			if
			:: sh = 0
			:: sh = 1
			fi;
			quantum(sh, q);
			do
			:: left < q -> left++
			:: break
			od;
			q = 0
		};
		do
		:: zapped < 1 && steps < limit ->
			sweep_next(sh, left, dry, q, p);
			if
			:: p == NONE -> break
			:: else
			fi;
			d_step {
				steps++;
				page_young(p, y);
				if
				:: y -> SAY("@@ direct phase 1: hand gives page %d, young: kept\n", p)
				:: !y && p == ROOT -> SAY("@@ direct phase 1: hand gives page %d, a root: kept\n", p)
				:: else -> SAY("@@ direct phase 1: hand gives page %d, cold\n", p)
				fi;
				if
				:: y || p == ROOT -> p = NONE; y = 0
				:: else
				fi
			};
			if
			:: p != NONE -> zap(p, Z_DR, zapped); p = NONE
			:: else
			fi
		:: else -> break
		od;
		skip;
		d_step { sh = 0; left = 0; limit = 0; steps = 0 };
		/* phase 2: the forced pass */
		do
		:: zapped < 1 && s < NS ->
			SAY("@@ direct phase 2 on shard %d\n", s);
#ifdef BROKEN_HAND_SHARING
			/* as first written: one lap of the shared hand per shard */
			steps = snr[s];
			do
			:: zapped < 1 && steps > 0 ->
				d_step {
					hand_step(s, p);
					steps--;
					p2_check()
				};
				if
				:: p == NONE -> break
				:: else
				fi;
				SAY("@@ direct phase 2: shard %d's hand gives page %d\n",
				    s, p);
				if
				:: p != ROOT -> zap(p, Z_DR, zapped)
				:: else
				fi;
				p = NONE
			:: else -> break
			od;
			skip;
			d_step { steps = 0; p = NONE };
#else
			/* se_reclaim_walk(): tail to head by ->prev links */
			pos = prv[HEAD(s)];
			do
			:: pos != HEAD(s) ->
				d_step { p = pos; pos = prv[pos] };
				if
				:: p != ROOT ->	/* ops->evictable() */
					zap(p, Z_DR, zapped);
					p = NONE;
					/* the zap removed exactly p: no restart */
					if
					:: zapped >= 1 -> break
					:: else
					fi
				:: else -> p = NONE
				fi
			:: else -> break
			od;
			skip;
			d_step { pos = 0; p = NONE };
#endif
			s++
		:: else -> break
		od;
		skip;
		/* P3, zap lock still held: fails only where FIFO would */
		d_step {
			rcu_read_unlock(R_DR);
			if
			:: zapped < 1 && EVICTABLE_LEFT ->
				SAY("@@ direct reclaim zapped nothing, evictable page on a ring: -ENOSPC\n")
			:: else
			fi;
			p3_assert(zapped >= 1 || !EVICTABLE_LEFT);
			zapped = 0; y = 0; steps = 0; s = 0
		}
	   :: skip			/* no reclaim this time */
	   fi;
	   /* a new shadow page: se_page_init() + se_insert() */
	   if
	   :: d_step { st[1] == FREE -> p = 1 }
	   :: d_step { st[2] == FREE -> p = 2 }
#if NP == 4
	   :: d_step { st[3] == FREE -> p = 3 }
#endif
	   :: skip
	   fi;
	   if
	   :: p != NONE ->
		if
		:: s = 0
		:: s = 1
		fi;
		d_step {	/* se_insert(): shard lock held */
			ref[p] = 0;
			ring_add(s, p);
			pshard[p] = s;
			st[p] = LIVE;
			nr_pages++;
			SAY("@@ fault inserts page %d into shard %d\n", p, s);
			p = NONE;
			s = 0;
			p2_check()
		}
	   :: else
	   fi;
	   zap_unlock(Z_DR)
	od
}

/* RCU callback: kvm_mmu_free_shadow_page_rcu() after the grace period */
inline rcu_free(p)
{
	d_step {
		st[p] == GONE && rcu_wait[p] == 0 ->
		SAY("@@ rcu frees page %d\n", p);
		/* P1: no lock-free reader may still dereference it */
		p1_assert(holds[R_VCPU] != p && holds[R_REB] != p &&
			  holds[R_DR] != p);
		st[p] = FREE;
		ref[p] = 0;
		p2_check()
	}
}

proctype rcu_cb()
{
end_c:
	do
	:: rcu_free(1)
	:: rcu_free(2)
#if NP == 4
	:: rcu_free(3)
#endif
	od
}

init {
	byte i;

	d_step {
		i = 0;
		do
		:: i < NP ->
			pshard[i] = NOSH; rq[i] = NONE; nxt[i] = NONE;
			prv[i] = NONE; i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < NS ->
			nxt[HEAD(i)] = HEAD(i); prv[HEAD(i)] = HEAD(i);
			hand[i] = HEAD(i); i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < NR -> holds[i] = NONE; i++
		:: else -> break
		od;
		i = 0;
		/* shard 0 = {R, 1}, shard 1 = {2}; page 3 (if any) free */
		ring_add(0, ROOT); pshard[ROOT] = 0; st[ROOT] = LIVE;
		ring_add(0, 1); pshard[1] = 0; st[1] = LIVE;
		ring_add(1, 2); pshard[2] = 1; st[2] = LIVE;
		nr_pages = 3;
		p2_check()
	};
	atomic {
		run vcpu();
		run reb();
		run fault();
		run rcu_cb()
	}
}
