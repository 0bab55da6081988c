/*
 * core_fixture - what the bus and matrix unit tests (bus_test.c,
 * matrix_test.c) share: machines, heap systems whose ops record every log
 * line, queue reset, guest update and uevent, and the snapshot behind
 * "a failed store changes nothing".
 *
 * Every helper fails the running cmocka test on an unexpected result; none
 * returns an error.
 */
#ifndef APEMU_CORE_FIXTURE_H
#define APEMU_CORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "matrix.h"

#define FX_PAGE 4096
#define FX_NREC 4096
#define FX_NLOG 64 /* log lines, guest updates and uevents kept (all are counted) */

/* What the recording ops saw since the system was made or rec_clear(). */
struct rec {
	unsigned int nlog;
	char log[FX_NLOG][256];
	char logdev[FX_NLOG][48];
	unsigned int nreset;
	unsigned int reset_apqn[FX_NREC];
	bool reset_zeroize[FX_NREC];
	unsigned int nupdate;
	struct ap_mdev *upd_mdev[FX_NLOG];
	struct ap_mask upd_apm[FX_NLOG], upd_aqm[FX_NLOG], upd_adm[FX_NLOG];
	unsigned int nuevent;
	char uev_dev[FX_NLOG][48];  /* the last part of DEVPATH */
	char uev_var[FX_NLOG][128]; /* the variable after SUBSYSTEM */
};

struct rec *rec_of(struct ap_system *s);
void rec_clear(struct ap_system *s);
/* Was msg logged for the device dev ("" for none)? */
bool rec_has_log(struct ap_system *s, const char *dev, const char *msg);

/* A machine with QCI, APFT and AQIC, Na = na and Nd = nd; no adapters yet. */
void hw_init(struct ap_machine *hw, bool apxa, unsigned int na, unsigned int nd);
void hw_adapter(struct ap_machine *hw, unsigned int id, unsigned int gen, enum ap_mode mode);
/* d as a usage and a control domain. */
void hw_domain(struct ap_machine *hw, unsigned int d);
/* The documentation's machine (11.1): APXA, Na = Nd = 255, CEX5C 5, CEX5A 6,
 * usage and control domains 4, 0x47, 0xab, 0xff. */
void doc_hw(struct ap_machine *hw);

/* A heap system with recording ops; masks as absolute strings (NULL: all
 * ones); max_instances 0 for the default. Freed with sys_free(). */
struct ap_system *sys_new(enum ap_abi abi, const struct ap_machine *hw, const char *apmask,
			  const char *aqmask, uint32_t max_instances);
void sys_free(struct ap_system *s);

struct ap_mdev *mdev_new(struct ap_system *s, const char *uuid);
/* The mdev's matrix, guest_matrix and control_domains texts in buf (FX_PAGE bytes). */
const char *show_matrix(const struct ap_mdev *m, char *buf);
const char *show_guest(const struct ap_mdev *m, char *buf);
const char *show_cdoms(const struct ap_mdev *m, char *buf);

/*
 * "A failed store changes nothing": snap_take() before the store,
 * assert_unchanged() after it compares (and frees the snapshot): the bus
 * (masks, bindings, owner index), the machine, the mdevs (up to
 * FX_SNAP_MDEVS slots) and their matrix texts, the available instances,
 * and the uevents, guest updates and queue resets sent.
 */
#define FX_SNAP_MDEVS 4
struct snap;
struct snap *snap_take(struct ap_system *s);
void assert_unchanged(struct ap_system *s, struct snap *p);

#endif
