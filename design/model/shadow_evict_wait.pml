/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * SPIN model of the waits for room of the sharded policy: shadow faults that
 * find fewer than KVM_MIN_FREE_MMU_PAGES pages free while the rebalancer
 * works sleep on an exclusive wait queue (kvm_mmu_fault_wait_for_room()),
 * and are woken one per free page (kvm_se_wake_for_room()) wherever room is
 * made, or all at once when the rebalancer stops.
 *
 * State, as counters (which pages are zapped does not matter here):
 *   room      pages free above the hard floor, i.e. how many faults may
 *             allocate: kvm_mmu_available_pages() - KVM_MIN_FREE + 1
 *   working   kvm_se_rebalancer_working()
 *   queued[i] fault i is on the wait queue (prepare_to_wait_event() put it
 *             there; a wake-up takes it off: autoremove_wake_function())
 *
 * Processes:
 *   fault(i)  write_lock(mmu_lock); if no room and the rebalancer works:
 *             unlock, wait (the ___wait_event() loop: queue, test, sleep),
 *             relock; if still no room, reclaim directly (its commit wakes
 *             for the room it made less the page the fault keeps:
 *             kvm_se_hold_room()); maybe stale (allocates nothing), else
 *             allocate one page; if it waited, or reclaimed and did not use
 *             the page it kept, and room is left, wake one more waiter (the
 *             hand-on); unlock.
 *             A fault may be one that never waits (the root allocation
 *             paths call make_mmu_pages_available() without waiting; they
 *             reclaim, keep a page and hand on the same way).
 *   reb       batches under mmu_lock that each make room and commit
 *             (kvm_mmu_commit_zap_page() -> kvm_se_wake_for_room()), then
 *             either stops (clears working, releases every waiter) or stays
 *             "working" with no batch soon: the case where a lost wake-up
 *             would leave a waiter asleep until its timeout.
 *   monitor   at global quiescence (SPIN's timeout: no process can move).
 *
 * A waiter's timeout is modelled only where there is no room (room == 0):
 * there the timeout is the intended way on (it then reclaims directly).
 * With room, a waiter must be woken; sleeping on is a lost wake-up.
 *
 * Property W1, no lost wake-up: when nothing can move, no fault sleeps on
 * the wait queue while there is room.
 *
 * The wait queue's ordering (wq_has_sleeper()'s barrier against the one in
 * prepare_to_wait_event()) is modelled by its guarantee: steps interleave
 * under sequential consistency, the waker updates room before it looks at
 * the queue, the waiter queues itself before it tests for room.
 *
 * Broken variants (check.sh must see each rejected, violating W1):
 *   BROKEN_NO_PASS_ON          a fault that waited hands nothing on
 *   BROKEN_WAKE_BEFORE_UPDATE  the rebalancer wakes before its batch's room
 *                              is counted
 *   BROKEN_WORKER_ONLY_WAKES   room made by a fault's direct reclaim wakes
 *                              no one
 *   BROKEN_KEPT_NO_HAND_ON     a fault that reclaimed, kept a page and went
 *                              stale hands nothing on
 */

#define NF	3	/* faults */
#define NB	2	/* rebalancer batches */

/* Named in the failing expression pan prints, "(W1&&(...))"; constant 1. */
bit W1 = 1;
#define w1_assert(e)	assert(W1 && (e))

byte room = 0;
bool working = true;
bool queued[NF];
byte nq = 0;		/* faults on the queue */
bit mmu_lock = 0;

inline lock()
{
	atomic { mmu_lock == 0 -> mmu_lock = 1 }
}

inline unlock()
{
	mmu_lock = 0
}

/* Take fault @j off the queue: a wake-up, or its own finish_wait(). */
inline dequeue(j)
{
	queued[j] = false;
	nq--
}

/*
 * kvm_se_wake_for_room(), mmu_lock held: wake as many queued faults as
 * there is room for, less the pages the lock holder keeps (room_held), any
 * of them (wake_up_nr() takes them in queue order; any order covers that).
 */
inline wake_for_room(held)
{
	atomic {
		w = 0;
		do
		:: w + held < room && nq > 0 ->
			if
			:: queued[0] -> dequeue(0); printf("@@ wakes fault 0\n")
			:: queued[1] -> dequeue(1); printf("@@ wakes fault 1\n")
			:: queued[2] -> dequeue(2); printf("@@ wakes fault 2\n")
			fi;
			w++
		:: else -> break
		od
	}
}

/* kvm_se_release_waiters(): wake_up_all(). */
inline release_all()
{
	atomic {
		w = 0;
		do
		:: w < NF ->
			if
			:: queued[w] -> dequeue(w)
			:: else -> skip
			fi;
			w++
		:: else -> break
		od
	}
}

proctype fault(byte i)
{
	bool waited = false, kept = false, may_wait;
	byte w;

	/* The root allocation paths reclaim without waiting. */
	if
	:: may_wait = true
	:: may_wait = false
	fi;

	lock();
	if
	:: room == 0 && working && may_wait ->
		unlock();
		waited = true;
		/* ___wait_event(): queue, test, sleep, until room or not working. */
again:
		atomic { !queued[i] -> queued[i] = true; nq++ };
		if
		:: room > 0 || !working ->
			atomic { if :: queued[i] -> dequeue(i) :: else -> skip fi;
				printf("@@ fault %d leaves the wait, room %d\n", i, room) }
		:: atomic { room == 0 && working ->
			printf("@@ fault %d sleeps, room %d\n", i, room) };
			if
			:: atomic { !queued[i] -> printf("@@ fault %d woken\n", i) };
				goto again
			:: atomic { room == 0 && queued[i] -> dequeue(i);
				printf("@@ fault %d times out (no room)\n", i) }
			fi
		fi;
		lock()
	:: else -> skip
	fi;

	/* make_mmu_pages_available(): reclaim directly if still no room. */
	if
	:: room == 0 ->
		/* The need, and maybe one ahead for the faults behind. */
		if
		:: room = 1
		:: room = 2
		fi;
		printf("@@ fault %d reclaims directly, room %d\n", i, room);
		kept = true;
#ifndef BROKEN_WORKER_ONLY_WAKES
		wake_for_room(1);
#endif
	:: else -> skip
	fi;

	/* is_page_fault_stale(), or allocate a page (and use the kept one). */
	if
	:: printf("@@ fault %d stale, allocates nothing\n", i)
	:: room--; kept = false; printf("@@ fault %d allocates, room %d\n", i, room)
	fi;
#ifdef BROKEN_KEPT_NO_HAND_ON
	kept = false;
#endif

#ifndef BROKEN_NO_PASS_ON
	/*
	 * kvm_se_hand_on(): the next waiter, one only, if room is
	 * left and this fault waited or left the page it kept unused.
	 */
	if
	:: atomic { (waited || kept) && room > 0 && nq > 0 ->
			if
			:: queued[0] -> dequeue(0); printf("@@ hands on to fault 0\n")
			:: queued[1] -> dequeue(1); printf("@@ hands on to fault 1\n")
			:: queued[2] -> dequeue(2); printf("@@ hands on to fault 2\n")
			fi
		}
	:: else -> skip
	fi;
#endif
	unlock()
}

proctype reb()
{
	byte b = 0, w;

	do
	:: b < NB ->
		lock();
#ifdef BROKEN_WAKE_BEFORE_UPDATE
		wake_for_room(0);
#endif
		if
		:: room++
		:: room = room + 2
		fi;
		printf("@@ rebalancer batch %d, room %d\n", b, room);
#ifndef BROKEN_WAKE_BEFORE_UPDATE
		/* kvm_mmu_commit_zap_page() */
		wake_for_room(0);
#endif
		unlock();
		b++
	:: b < NB -> break	/* no more batches for now */
	:: else -> break
	od;
	if
	:: atomic { working = false; printf("@@ rebalancer stops\n") };
		release_all()
	:: printf("@@ rebalancer still working, no batch soon\n")
	fi
}

active proctype monitor()
{
	timeout ->
	w1_assert(!(nq > 0 && room > 0))
}

init
{
	atomic {
		run fault(0);
		run fault(1);
		run fault(2);
		run reb()
	}
}
