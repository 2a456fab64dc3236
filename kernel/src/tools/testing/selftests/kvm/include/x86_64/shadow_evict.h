/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of shadow-page eviction: the policy parameter
 * (kvm.shadow_evict) and other one-line files, and bounded options.
 */
#ifndef SELFTEST_KVM_SHADOW_EVICT_H
#define SELFTEST_KVM_SHADOW_EVICT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"

#define SHADOW_EVICT_PARAM	"/sys/module/kvm/parameters/shadow_evict"

/* The first line of @path into @buf, newline dropped; false if unreadable. */
static inline bool sysfs_read_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f);
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* Write @val to @path; 0 or the errno (a refused parameter: EINVAL...). */
static inline int sysfs_write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return errno;
	if (fputs(val, f) < 0)
		err = errno;
	if (fclose(f) && !err)
		err = errno;
	return err;
}

/* kvm.shadow_evict into @buf; false if the kernel lacks it. */
static inline bool shadow_evict_policy(char *buf, size_t len)
{
	return sysfs_read_str(SHADOW_EVICT_PARAM, buf, len);
}

/* An option's number in [min, max], or exit with the reason. */
static inline uint64_t parse_bounded(const char *s, uint64_t min, uint64_t max)
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

#endif /* SELFTEST_KVM_SHADOW_EVICT_H */
