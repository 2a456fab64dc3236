# SPDX-License-Identifier: GPL-2.0
#
# Build the patched kvm.ko, kvm-intel.ko and kvm-amd.ko for one kernel
# from the tree this package carries for that kernel's version; dkms runs
# it in its copy of /usr/src/shadow-evict-kvm-VERSION:
#
#   make -f dkms.mk KVER=6.12.117+deb12-amd64 [KDIR=/lib/modules/KVER/build]
#
# check.sh refuses, with the reason, a kernel the package has no tree for,
# missing headers, headers that are not the ones the tree was made from,
# and a patched struct kvm_vcpu that differs from the kernel's (vmlinux
# itself updates vcpu->stat).  The modules land in out/.
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
# 6.12.117+deb12-amd64 -> 6.12.117
UPSTREAM := $(firstword $(subst +, ,$(subst -, ,$(KVER))))
TREE := $(CURDIR)/trees/$(UPSTREAM)
MODULES := kvm kvm-intel kvm-amd

all:
	sh $(CURDIR)/check.sh "$(KVER)" "$(KDIR)" "$(CURDIR)"
	$(MAKE) -C $(KDIR) M=$(TREE)/arch/x86/kvm modules
	mkdir -p out
	for m in $(MODULES); do cp $(TREE)/arch/x86/kvm/$$m.ko out/ || exit 1; done

clean:
	rm -rf out probe
	if [ -d $(TREE)/arch/x86/kvm ] && [ -e $(KDIR)/Makefile ]; then \
		$(MAKE) -C $(KDIR) M=$(TREE)/arch/x86/kvm clean; fi

.PHONY: all clean
