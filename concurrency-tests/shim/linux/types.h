/* SPDX-License-Identifier: GPL-2.0 */
/* Shadows the uapi header: glibc includes it too. */
#include_next <linux/types.h>
