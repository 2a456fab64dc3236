// SPDX-License-Identifier: GPL-2.0
/*
 * shadow_mmu_check: prove that this L1 runs its guests on the shadow MMU and
 * that shadow-page creation and eviction really happen.
 *
 * Each vCPU touches a few 4 KiB pages in each of its own 2 MiB regions, so
 * every region costs one last-level shadow page. With a quota (-q) below the
 * number of regions, KVM must evict shadow pages to make progress. After the
 * run every touched word must hold exactly the number of passes (memory stays
 * right under eviction), and the VM's shadow-page stats must have moved.
 *
 * Eviction policy (kvm.shadow_evict, when the kernel has it): the VM is
 * created under the policy in force; the check then writes a bogus value
 * (must fail with EINVAL and leave the parameter alone) and another valid
 * policy (must not change this VM), and asserts that the eviction counters
 * moved the way the VM's own policy makes them move.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "shadow_evict.h"

#define SLOT		10
#define REGION_BASE	BIT_ULL(32)	/* GPA == GVA */
#define REGION_SIZE	(2ULL << 20)

static uint64_t nr_vcpus = 2, regions_per_vcpu = 96, passes = 3,
		touch_per_region = 4, quota;

static void guest_code(uint64_t base, uint64_t nr_regions, uint64_t nr_passes,
		       uint64_t touches)
{
	uint64_t p, r, i, *w;

	for (p = 0; p < nr_passes; p++)
		for (r = 0; r < nr_regions; r++)
			for (i = 0; i < touches; i++) {
				w = (uint64_t *)(base + r * REGION_SIZE +
						 i * PAGE_SIZE);
				WRITE_ONCE(*w, READ_ONCE(*w) + 1);
			}
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("vCPU %u: unexpected exit %s", vcpu->id,
			  exit_reason_str(vcpu->run->exit_reason));
	}
	return NULL;
}

/* The selftests library of 6.12 reads VM stats only; vCPU stats go here. */
static uint64_t vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	uint64_t val = 0;
	int fd, i;
	bool found = false;

	fd = __vcpu_ioctl(vcpu, KVM_GET_STATS_FD, NULL);
	TEST_ASSERT(fd >= 0, "KVM_GET_STATS_FD on a vCPU failed");
	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			read_stat_data(fd, &header, d, &val, 1);
			found = true;
			break;
		}
	}
	TEST_ASSERT(found, "no vCPU stat named %s", name);
	free(descs);
	close(fd);
	return val;
}

static char read_param(const char *path)
{
	char c = '?';
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, " %c", &c) != 1)
			c = '?';
		fclose(f);
	}
	return c;
}

#define WAIT_PARAM	"/sys/module/kvm/parameters/shadow_evict_wait_us"
#define BOOST_PARAM	"/sys/module/kvm/parameters/shadow_evict_boost"
#define AGE_PARAM	"/sys/module/kvm/parameters/shadow_evict_age"

static int write_policy(const char *val)
{
	return sysfs_write_str(SHADOW_EVICT_PARAM, val);
}

/*
 * A numeric kvm parameter, where the kernel has it: @too_big (out of range)
 * and a word are refused and change nothing.
 */
static void check_num_param(const char *path, const char *name,
			    const char *too_big)
{
	char was[32], now[32];
	int err;

	if (!sysfs_read_str(path, was, sizeof(was)))
		return;
	err = sysfs_write_str(path, too_big);
	TEST_ASSERT(err == ERANGE, "%s=%s gave errno %d, want ERANGE", name, too_big, err);
	err = sysfs_write_str(path, "soon");
	TEST_ASSERT(err == EINVAL, "%s=soon gave errno %d, want EINVAL", name, err);
	TEST_ASSERT(sysfs_read_str(path, now, sizeof(now)) && !strcmp(now, was),
		    "%s '%s' after refused writes, want '%s'", name, now, was);
	printf("%s: %s; %s and 'soon' refused\n", name, was, too_big);
}

static void check_num_params(void)
{
	check_num_param(WAIT_PARAM, "shadow_evict_wait_us", "10001");
	check_num_param(AGE_PARAM, "shadow_evict_age", "4");
}

/*
 * Nice levels the sharded rebalancer sits below its inherited nice for
 * @n vCPUs: one per factor of 1.25 in @n, as the scheduler weighs them.
 */
static int boost_levels(unsigned long n)
{
	unsigned long weight = 1024;
	int levels = 0;

	while (weight < 1024 * n && levels < 39) {
		weight += weight / 4;
		levels++;
	}
	return levels;
}

/* The nice of this process's kvm-shadow-evict thread, or 100 if none. */
static int rebalancer_nice(void)
{
	char path[64], comm[32], stat[512], *p;
	int tid, nice = 100, i;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	dir = opendir("/proc/self/task");
	TEST_ASSERT(dir, "opendir /proc/self/task: %s", strerror(errno));
	while ((d = readdir(dir))) {
		tid = atoi(d->d_name);
		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		if (!sysfs_read_str(path, comm, sizeof(comm)) ||
		    strncmp(comm, "kvm-shadow-evi", 14))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
		f = fopen(path, "r");
		TEST_ASSERT(f && fgets(stat, sizeof(stat), f), "reading %s", path);
		fclose(f);
		/*
		 * Field 19 is the nice (18 the priority, 20 + nice): the k-th
		 * space after the ")" that ends comm (field 2) opens field k + 2.
		 */
		p = strrchr(stat, ')');
		TEST_ASSERT(p, "no comm in %s", path);
		for (i = 0; i < 17 && p; i++)
			p = strchr(p + 1, ' ');
		TEST_ASSERT(p, "short %s", path);
		nice = atoi(p + 1);
		break;
	}
	closedir(dir);
	return nice;
}

/* The whole point: guests must run on the shadow MMU, not on TDP. */
static void check_shadow_mmu(void)
{
	char tdp = read_param("/sys/module/kvm/parameters/tdp_mmu");

	TEST_ASSERT(tdp == 'N', "kvm.tdp_mmu is '%c', want N", tdp);
	if (host_cpu_is_amd) {
		char npt = read_param("/sys/module/kvm_amd/parameters/npt");

		TEST_ASSERT(npt == 'N', "kvm_amd.npt is '%c', want N", npt);
		printf("shadow_mmu: kvm_amd npt=N tdp_mmu=N\n");
	} else {
		char ept = read_param("/sys/module/kvm_intel/parameters/ept");

		TEST_ASSERT(ept == 'N', "kvm_intel.ept is '%c', want N", ept);
		printf("shadow_mmu: kvm_intel ept=N tdp_mmu=N\n");
	}
}

static void help(const char *name)
{
	fprintf(stderr,
		"usage: %s [-v vcpus] [-r regions per vcpu] [-p passes] [-t pages touched per region] [-q quota]\n",
		name);
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	uint64_t regions, npages, r, i, miss, zapped, recycled, pf = 0;
	uint64_t scanned, ref_skips, young_skips, wakeups, batches, direct;
	uint64_t lock_ns, lock_max_ns;
	char policy[32] = "", other[32], now[32];
	bool have_policy;
	int err;
	struct kvm_vcpu **vcpus;
	pthread_t *threads;
	struct kvm_vm *vm;
	int opt, ret;

	while ((opt = getopt(argc, argv, "v:r:p:t:q:")) != -1) {
		switch (opt) {
		case 'v':
			nr_vcpus = parse_bounded(optarg, 1, 64);
			break;
		case 'r':
			regions_per_vcpu = parse_bounded(optarg, 1, 4096);
			break;
		case 'p':
			passes = parse_bounded(optarg, 1, 1000);
			break;
		case 't':
			touch_per_region = parse_bounded(optarg, 1, 512);
			break;
		case 'q':
			quota = parse_bounded(optarg, 64, 1 << 20);
			break;
		default:
			help(argv[0]);
		}
	}

	check_shadow_mmu();
	have_policy = shadow_evict_policy(policy, sizeof(policy));
	check_num_params();

	regions = nr_vcpus * regions_per_vcpu;
	npages = regions * (REGION_SIZE / PAGE_SIZE);
	vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	threads = calloc(nr_vcpus, sizeof(*threads));
	TEST_ASSERT(vcpus && threads, "out of memory");

	/* The library sizes slot 0's page-table pool from this. */
	vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, nr_vcpus, npages,
				    guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, REGION_BASE,
				    SLOT, npages, 0);
	virt_map(vm, REGION_BASE, REGION_BASE, npages);
	for (i = 0; i < nr_vcpus; i++)
		vcpu_args_set(vcpus[i], 4,
			      REGION_BASE + i * regions_per_vcpu * REGION_SIZE,
			      regions_per_vcpu, passes, touch_per_region);

	if (have_policy) {
		/* An unknown value is refused and changes nothing. */
		err = write_policy("bogus");
		TEST_ASSERT(err == EINVAL, "writing 'bogus' gave errno %d, want EINVAL", err);
		TEST_ASSERT(shadow_evict_policy(now, sizeof(now)) && !strcmp(now, policy),
			    "policy '%s' after a refused write, want '%s'", now, policy);
		/* A new value applies to VMs created later, not to this one. */
		snprintf(other, sizeof(other), "%s",
			 strcmp(policy, "fifo") ? "fifo" : "clock");
		err = write_policy(other);
		TEST_ASSERT(!err, "writing '%s' gave errno %d", other, err);
		printf("shadow_evict: VM created with '%s', parameter now '%s'\n",
		       policy, other);
	}

	if (quota) {
		/* Below KVM_MIN_ALLOC_MMU_PAGES (64) KVM refuses, not hangs. */
		ret = ioctl(vm->fd, KVM_SET_NR_MMU_PAGES, 63UL);
		TEST_ASSERT(ret == -1 && errno == EINVAL,
			    "KVM_SET_NR_MMU_PAGES(63) gave %d errno %d, want EINVAL",
			    ret, errno);
		ret = ioctl(vm->fd, KVM_SET_NR_MMU_PAGES, (unsigned long)quota);
		TEST_ASSERT(!ret, "KVM_SET_NR_MMU_PAGES(%lu) failed", quota);
	}

	for (i = 0; i < nr_vcpus; i++)
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(threads[i], NULL);

	/* Memory must be exactly right, however often its tables were zapped. */
	for (r = 0; r < regions; r++)
		for (i = 0; i < touch_per_region; i++) {
			uint64_t gpa = REGION_BASE + r * REGION_SIZE + i * PAGE_SIZE;
			uint64_t v = *(uint64_t *)addr_gpa2hva(vm, gpa);

			TEST_ASSERT(v == passes, "gpa 0x%lx holds %lu, want %lu",
				    gpa, v, passes);
		}

	miss = vm_get_stat(vm, "mmu_cache_miss");
	zapped = vm_get_stat(vm, "mmu_shadow_zapped");
	recycled = vm_get_stat(vm, "mmu_recycled");
	for (i = 0; i < nr_vcpus; i++)
		pf += vcpu_stat(vcpus[i], "pf_taken");
	printf("stats: vcpus=%lu regions=%lu passes=%lu quota=%lu ",
	       nr_vcpus, regions, passes, quota);
	printf("pf_taken=%lu mmu_cache_miss=%lu mmu_shadow_zapped=%lu mmu_recycled=%lu\n",
	       pf, miss, zapped, recycled);

	if (have_policy) {
		scanned = vm_get_stat(vm, "mmu_evict_scanned");
		ref_skips = vm_get_stat(vm, "mmu_evict_ref_skips");
		young_skips = vm_get_stat(vm, "mmu_evict_young_skips");
		wakeups = vm_get_stat(vm, "mmu_evict_wakeups");
		batches = vm_get_stat(vm, "mmu_evict_batches");
		direct = vm_get_stat(vm, "mmu_evict_direct");
		lock_ns = vm_get_stat(vm, "mmu_evict_lock_ns");
		lock_max_ns = vm_get_stat(vm, "mmu_evict_lock_max_ns");
		printf("stats: policy=%s scanned=%lu ref_skips=%lu young_skips=%lu ",
		       policy, scanned, ref_skips, young_skips);
		printf("wakeups=%lu batches=%lu direct=%lu lock_ns=%lu lock_max_ns=%lu\n",
		       wakeups, batches, direct, lock_ns, lock_max_ns);
		/* Put the parameter back for the tests that follow. */
		err = write_policy(policy);
		TEST_ASSERT(!err, "restoring '%s' gave errno %d", policy, err);
	}

	/* One last-level shadow page per region, at least once. */
	TEST_ASSERT(miss >= regions, "mmu_cache_miss %lu < %lu regions: not on the shadow MMU?",
		    miss, regions);
	TEST_ASSERT(pf >= regions, "pf_taken %lu < %lu regions", pf, regions);
	if (quota && quota < regions) {
		TEST_ASSERT(recycled > 0, "quota %lu < %lu regions but mmu_recycled is 0",
			    quota, regions);
		TEST_ASSERT(zapped > 0, "quota %lu < %lu regions but mmu_shadow_zapped is 0",
			    quota, regions);
		/* Each pass over more regions than fit must refault. */
		TEST_ASSERT(miss > regions, "quota %lu but no shadow page was rebuilt", quota);
	}
	if (have_policy && quota && quota < regions) {
		TEST_ASSERT(scanned > 0 && lock_ns > 0 && lock_max_ns > 0 &&
			    lock_max_ns <= lock_ns,
			    "%s: eviction counters did not move", policy);
		if (!strcmp(policy, "fifo")) {
			/* FIFO: direct reclaim only, no aging at all. */
			TEST_ASSERT(direct > 0 && !ref_skips && !young_skips &&
				    !wakeups && !batches,
				    "fifo VM aged or ran a rebalancer");
		} else if (!strcmp(policy, "clock")) {
			TEST_ASSERT(direct > 0 && ref_skips > 0 && !wakeups && !batches,
				    "clock VM: no direct reclaim or no second chance");
		} else if (!strcmp(policy, "sharded") && nr_vcpus == 1) {
			/* One vCPU: no worker, its faults reclaim as clock's. */
			TEST_ASSERT(direct > 0 && ref_skips > 0 && !wakeups && !batches,
				    "sharded VM with one vCPU: its worker ran, or its faults did not reclaim with second chance");
		} else if (!strcmp(policy, "sharded")) {
			TEST_ASSERT(wakeups > 0 && batches > 0,
				    "sharded VM: the rebalancer never ran");
		}
	}
	/*
	 * A sharded rebalancer that ran after every vCPU joined (each ran
	 * before the quota filled) weighs as much as all of them: nice levels
	 * below ours, as the scheduler counts them.
	 */
	if (!strcmp(policy, "sharded") && quota && quota < regions &&
	    sysfs_read_str(BOOST_PARAM, now, sizeof(now)) && now[0] == 'Y') {
		int want = getpriority(PRIO_PROCESS, 0) - boost_levels(nr_vcpus);

		want = want < -20 ? -20 : want;
		ret = rebalancer_nice();
		TEST_ASSERT(ret == want, "rebalancer nice %d for %lu vCPUs, want %d",
			    ret, nr_vcpus, want);
		printf("rebalancer: nice %d for %lu vCPUs\n", ret, nr_vcpus);
	}
	/*
	 * Lowering the quota below what is in use zaps down to it exactly,
	 * whatever the policy and whatever its rebalancer does meanwhile: the
	 * few roots (one per distinct guest CR3, plus cached previous roots)
	 * leave far more than 64 pages evictable here, and KVM only settles
	 * above the request when eviction falls short.  Pages in use are
	 * those created minus those zapped (6.12 has no KVM_GET_NR_MMU_PAGES).
	 */
	ret = ioctl(vm->fd, KVM_SET_NR_MMU_PAGES, 64UL);
	TEST_ASSERT(!ret, "KVM_SET_NR_MMU_PAGES(64) failed");
	miss = vm_get_stat(vm, "mmu_cache_miss");
	zapped = vm_get_stat(vm, "mmu_shadow_zapped");
	TEST_ASSERT(miss - zapped <= 64,
		    "KVM_SET_NR_MMU_PAGES(64) left %lu shadow pages in use", miss - zapped);

	kvm_vm_free(vm);
	printf("shadow_mmu_check: PASS\n");
	return 0;
}
