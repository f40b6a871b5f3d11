# SPDX-License-Identifier: GPL-2.0
# make install / make uninstall. PREFIX (default /usr/local) and DESTDIR as
# usual; each directory below may be overridden too. SYSCONFDIR stays /etc
# whatever the PREFIX: the unit reads its files from there.
PREFIX         ?= /usr/local
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR     ?= /etc
INSTALL        ?= install

# Programs installed from $(BUILD)/ to SBINDIR; make install builds them first.
VX_SBIN_PROGS    := vhost-xdpd vhost-xdpctl
VX_MAN8          := man/vhost-xdpd.8 man/vhost-xdpctl.8
# One completion file serves both commands; bash-completion looks it up by
# command name.
VX_COMPLETIONS   := vhost-xdpd vhost-xdpctl
VX_UNIT          := vhost-xdpd@.service
VX_EXAMPLES      := ports.example env.example
# The BPF program is compiled into vhost-xdpd (a libbpf skeleton): no
# object file to install.

VX_SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

.PHONY: install uninstall
install: $(addprefix $(BUILD)/,$(VX_SBIN_PROGS))
	@for p in $(VX_SBIN_PROGS); do \
		echo "  INSTALL $(DESTDIR)$(SBINDIR)/$$p"; \
		$(INSTALL) -D -m 0755 $(BUILD)/$$p $(DESTDIR)$(SBINDIR)/$$p || exit 1; \
	done
	@echo "  INSTALL $(DESTDIR)$(MANDIR)/man8/"
	$(Q)$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8
	$(Q)$(INSTALL) -m 0644 $(VX_MAN8) $(DESTDIR)$(MANDIR)/man8/
	@echo "  INSTALL $(DESTDIR)$(BASHCOMPDIR)/"
	$(Q)$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR)
	$(Q)for c in $(VX_COMPLETIONS); do \
		$(INSTALL) -m 0644 dist/vhost-xdp.bash-completion $(DESTDIR)$(BASHCOMPDIR)/$$c || exit 1; \
	done
	@echo "  INSTALL $(DESTDIR)$(SYSTEMDUNITDIR)/$(VX_UNIT)"
	$(Q)$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)$(VX_SUBST) dist/$(VX_UNIT).in > $(DESTDIR)$(SYSTEMDUNITDIR)/$(VX_UNIT).tmp
	$(Q)chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$(VX_UNIT).tmp
	$(Q)mv $(DESTDIR)$(SYSTEMDUNITDIR)/$(VX_UNIT).tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$(VX_UNIT)
	@echo "  INSTALL $(DESTDIR)$(SYSCONFDIR)/vhost-xdp/"
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/vhost-xdp
	$(Q)for e in $(VX_EXAMPLES); do \
		$(VX_SUBST) dist/$$e > $(DESTDIR)$(SYSCONFDIR)/vhost-xdp/$$e.tmp && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/vhost-xdp/$$e.tmp && \
		mv $(DESTDIR)$(SYSCONFDIR)/vhost-xdp/$$e.tmp $(DESTDIR)$(SYSCONFDIR)/vhost-xdp/$$e || exit 1; \
	done

# Leaves the administrator's files (NIC.ports, NIC.env) and their directory.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(VX_SBIN_PROGS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(VX_MAN8)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(VX_COMPLETIONS))
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$(VX_UNIT)
	rm -f $(addprefix $(DESTDIR)$(SYSCONFDIR)/vhost-xdp/,$(VX_EXAMPLES))
	rmdir $(DESTDIR)$(SYSCONFDIR)/vhost-xdp 2>/dev/null || true
