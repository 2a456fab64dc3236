// SPDX-License-Identifier: GPL-2.0
/*
 * Where struct kvm_vcpu's fields lie, as compiled: check.sh builds this
 * once against the kernel's own headers and once with this package's
 * patched kvm_host.h first, and refuses the kernel when they differ,
 * because vmlinux (kernel/entry/kvm.c) updates vcpu->stat itself.
 */
#include <linux/kvm_host.h>
#include <linux/kbuild.h>

void se_layout(void);
void se_layout(void)
{
	DEFINE(VCPU_RUN, offsetof(struct kvm_vcpu, run));
	DEFINE(VCPU_ARCH, offsetof(struct kvm_vcpu, arch));
	DEFINE(VCPU_STAT, offsetof(struct kvm_vcpu, stat));
	DEFINE(VCPU_SIGNAL_EXITS, offsetof(struct kvm_vcpu, stat.signal_exits));
	DEFINE(SIZEOF_KVM_VCPU_ARCH, sizeof(struct kvm_vcpu_arch));
	DEFINE(SIZEOF_KVM_VCPU, sizeof(struct kvm_vcpu));
}
