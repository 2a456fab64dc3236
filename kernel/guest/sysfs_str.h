/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One-line files (module parameters, /proc/sys knobs, /proc/<pid> fields)
 * read and written by the project's guest programs (kernel/guest/).
 */
#ifndef SYSFS_STR_H
#define SYSFS_STR_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define EVICT_PARAM	"/sys/module/kvm/parameters/shadow_evict"

/* The first line of @path into @buf, newline dropped; false if unreadable. */
static inline bool read_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* Write @val to @path; 0 or the errno (a refused parameter: EINVAL...). */
static inline int write_str(const char *path, const char *val)
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
static inline bool read_policy(char *buf, size_t len)
{
	return read_str(EVICT_PARAM, buf, len);
}

#endif
