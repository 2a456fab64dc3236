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
 * Built against the KVM selftests library of the same kernel tree.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define SLOT		10
#define REGION_BASE	(1ULL << 32)	/* GPA == GVA */
#define REGION_SIZE	(2ULL << 20)

static uint64_t nr_vcpus = 2, regions_per_vcpu = 96, passes = 3,
		touch_per_region = 4, quota;

static void guest_code(uint64_t base, uint64_t nr_regions, uint64_t nr_passes,
		       uint64_t touches)
{
	uint64_t p, r, i;

	for (p = 0; p < nr_passes; p++)
		for (r = 0; r < nr_regions; r++)
			for (i = 0; i < touches; i++)
				(*(volatile uint64_t *)(base + r * REGION_SIZE +
							i * PAGE_SIZE))++;
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

static void usage(const char *name)
{
	fprintf(stderr,
		"usage: %s [-v vcpus] [-r regions per vcpu] [-p passes] [-t pages touched per region] [-q quota]\n",
		name);
	exit(KSFT_FAIL);
}

static uint64_t arg(const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "invalid value '%s' (want %llu..%llu)\n", s,
			(unsigned long long)min, (unsigned long long)max);
		exit(KSFT_FAIL);
	}
	return v;
}

int main(int argc, char *argv[])
{
	uint64_t regions, npages, r, i, miss, zapped, recycled, pf = 0;
	struct kvm_vcpu **vcpus;
	pthread_t *threads;
	struct kvm_vm *vm;
	int opt, ret;

	while ((opt = getopt(argc, argv, "v:r:p:t:q:")) != -1) {
		switch (opt) {
		case 'v': nr_vcpus = arg(optarg, 1, 64); break;
		case 'r': regions_per_vcpu = arg(optarg, 1, 4096); break;
		case 'p': passes = arg(optarg, 1, 1000); break;
		case 't': touch_per_region = arg(optarg, 1, 512); break;
		case 'q': quota = arg(optarg, 64, 1 << 20); break;
		default: usage(argv[0]);
		}
	}

	check_shadow_mmu();

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

	if (quota) {
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
	printf("stats: vcpus=%lu regions=%lu passes=%lu quota=%lu pf_taken=%lu mmu_cache_miss=%lu mmu_shadow_zapped=%lu mmu_recycled=%lu\n",
	       nr_vcpus, regions, passes, quota, pf, miss, zapped, recycled);

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
	kvm_vm_free(vm);
	printf("shadow_mmu_check: PASS\n");
	return 0;
}
