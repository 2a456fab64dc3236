/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: everything lives in se_shim.h. */
#include "../se_shim.h"
