/* SPDX-License-Identifier: GPL-2.0 */
/* Option parsing shared by the project's guest programs (kernel/guest/). */
#ifndef GUEST_ARGS_H
#define GUEST_ARGS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest.h"

/* A number in [min, max], or exit with the reason. */
static inline uint64_t arg(const char *s, uint64_t min, uint64_t max)
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

#endif
