/*
 * publish - after every change of the model (lock held): the machine as
 * the lock-free readers see it, renewed, and with -Daudit=true every
 * invariant checked (apemud.h). Apart from apemud.c's main() so that unit
 * tests can link the request handlers without the daemon's start-up.
 */
#include "apemud.h"
#include "dlog.h"
#include "vmm.h"

static void audit_line(void *ctx, const char *text)
{
	(void)ctx;
	dlog_daemon(AP_LOG_ERR, "AUDIT: %s", text);
}

void apemud_audit(struct apemud *d)
{
#ifdef APEMU_AUDIT
	if (d->guests)
		vmm_audit(d, audit_line, NULL);
#else
	(void)d;
	(void)audit_line;
#endif
}

void apemud_publish(struct apemud *d)
{
	uint64_t lost[HWSNAP_WORDS];

	/* a queue instructions can no longer reach: empty it once more (hwview.h) */
	if (hwview_update(&d->view, d->sys, lost))
		for (unsigned int w = 0; w < HWSNAP_WORDS; w++)
			for (uint64_t m = lost[w]; m; m &= m - 1)
				vmm_queue_gone(d, w * 64 + (unsigned int)__builtin_ctzll(m));
	apemud_audit(d);
}
