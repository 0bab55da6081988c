/*
 * apemu-sysfs-demo - mount the emulated sysfs tree of a small machine and
 * serve it until SIGINT or SIGTERM, then unmount. For trying the tree by
 * hand until the daemon exists; not installed.
 *
 *   apemu-sysfs-demo MOUNTPOINT [--v8] [--big] [--attach]
 *
 * The machine: APXA with Na = Nd = 255; adapters 0x04 CEX8A, 0x05 CEX7C,
 * 0x06 CEX8P, 0x0b CEX8A; usage domains 4, 0x47, 0xab, 0xff; control
 * domains those and 0-15; apmask and aqmask all ones. --big instead has
 * all 256 adapters (CEX8A) and all 256 usage domains; --v8 shows the v8 ABI.
 * --attach plays a guest for every mdev (attached after each store), so
 * that `remove` has to wait: the guest lets go after 100 ms.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "matrix.h"
#include "sysfs.h"

static const unsigned int usage_domains[] = {0x04, 0x47, 0xab, 0xff};

static struct {
	pthread_mutex_t lock;
	struct ap_system sys;
	struct apemu_sysfs *fs;
	sigset_t sigs;
} demo = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

/* --attach: every mdev gets a guest of its own after each store. */
static void attach_all(void *ctx)
{
	(void)ctx;
	for (uint32_t i = 0; i < demo.sys.matrix.nslots; i++) {
		struct ap_mdev *m = matrix_slot(&demo.sys, i);

		if (m && !m->guest && !m->remove_requested)
			matrix_attach(&demo.sys, m, m->seq + 1);
	}
}

/* The guest releases the device 100 ms after being asked to; lock held on entry and exit. */
static int release_and_remove(void *ctx, struct ap_mdev *m)
{
	struct timespec t = {.tv_nsec = 100 * 1000 * 1000};

	(void)ctx;
	pthread_mutex_unlock(&demo.lock);
	nanosleep(&t, NULL);
	pthread_mutex_lock(&demo.lock);
	matrix_detach(&demo.sys, m);
	matrix_destroy(&demo.sys, m);
	return 0;
}

static void log_msg(void *ctx, enum ap_log_level level, const char *dev, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "<%d> %s: %s\n", (int)level, dev, msg);
}

static int build_machine(struct ap_machine *hw, bool big)
{
	static const struct ap_adapter_desc small[] = {
	    {.id = 0x04, .gen = 8, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1},
	    {.id = 0x05, .gen = 7, .mode = AP_MODE_CCA, .depth = -1, .max_msg_size = -1},
	    {.id = 0x06, .gen = 8, .mode = AP_MODE_EP11, .depth = -1, .max_msg_size = -1},
	    {.id = 0x0b, .gen = 8, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1},
	};
	struct ap_machine_info info = {
	    .qci = true,
	    .apft = true,
	    .aqic = true,
	    .apxa = true,
	    .na = 255,
	    .nd = 255,
	};
	int r;

	if (big) {
		ap_mask_fill(&info.usage_domains, 255);
	} else {
		for (size_t i = 0; i < sizeof(usage_domains) / sizeof(usage_domains[0]); i++)
			ap_mask_set(&info.usage_domains, usage_domains[i]);
	}
	ap_mask_fill(&info.control_domains, 15);
	ap_mask_or(&info.control_domains, &info.control_domains, &info.usage_domains);
	r = machine_init(hw, &info);
	if (r < 0)
		return r;
	if (big) {
		for (unsigned int id = 0; id < AP_DEVICES && r >= 0; id++) {
			struct ap_adapter_desc d = {.id = id,
						    .gen = 8,
						    .mode = AP_MODE_ACCEL,
						    .depth = -1,
						    .max_msg_size = -1};

			r = machine_add_adapter(hw, &d);
		}
		return r;
	}
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]) && r >= 0; i++)
		r = machine_add_adapter(hw, &small[i]);
	return r;
}

/* SIGINT and SIGTERM are blocked everywhere and taken here; SIGUSR1 only ends the thread. */
static void *signal_thread(void *arg)
{
	int sig;

	(void)arg;
	if (sigwait(&demo.sigs, &sig) == 0 && sig != SIGUSR1) {
		fprintf(stderr, "apemu-sysfs-demo: signal %d, stopping\n", sig);
		apemu_sysfs_stop(demo.fs);
	}
	return NULL;
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	static struct ap_machine hw;
	struct apemu_sysfs_hooks hooks = {.remove_wait = release_and_remove};
	enum ap_abi abi = AP_ABI_CUR;
	bool big = false;
	struct timespec t0;
	pthread_t sig_tid;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MOUNTPOINT [--v8] [--big] [--attach]\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--v8"))
			abi = AP_ABI_V8;
		else if (!strcmp(argv[i], "--big"))
			big = true;
		else if (!strcmp(argv[i], "--attach"))
			hooks.changed = attach_all;
		else {
			fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = build_machine(&hw, big);
	if (r >= 0)
		r = ap_system_init(&demo.sys, abi, &hw, NULL, NULL, -1, 0);
	if (r < 0) {
		fprintf(stderr, "%s: cannot build the machine: %s\n", argv[0], strerror(-r));
		return 1;
	}
	demo.sys.ops.log = log_msg;

	sigemptyset(&demo.sigs);
	sigaddset(&demo.sigs, SIGINT);
	sigaddset(&demo.sigs, SIGTERM);
	sigaddset(&demo.sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &demo.sigs, NULL);

	r = apemu_sysfs_new(&demo.sys, &demo.lock, argv[1], &hooks, &demo.fs);
	if (r < 0) {
		fprintf(stderr, "%s: cannot mount at %s: %s\n", argv[0], argv[1], strerror(-r));
		ap_system_clear(&demo.sys);
		return 1;
	}
	fprintf(stderr, "apemu-sysfs-demo: mounted at %s in %.1f ms\n", argv[1], elapsed_ms(&t0));
	if (pthread_create(&sig_tid, NULL, signal_thread, NULL) != 0) {
		apemu_sysfs_free(demo.fs);
		ap_system_clear(&demo.sys);
		return 1;
	}
	r = apemu_sysfs_run(demo.fs);
	/* unmounted from outside: the signal thread still waits */
	pthread_kill(sig_tid, SIGUSR1);
	pthread_join(sig_tid, NULL);
	apemu_sysfs_free(demo.fs);
	ap_system_clear(&demo.sys);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", argv[0], strerror(-r));
	return r < 0 ? 1 : 0;
}
