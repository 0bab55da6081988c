/*
 * abi_check - the public headers' copies of internal numbers, pinned.
 *
 * include/apemu/ cannot include src/common/, so guest.h and guest-abi.h
 * repeat some architecture numbers (ap_arch.h) and the default instance
 * (instpath.h) under APEMU_ names. libapemu-guest is part of every build,
 * so a copy that drifts from its source breaks the build here.
 */
#include <assert.h>

#include <apemu/guest-abi.h>
#include <apemu/guest.h>

#include "ap_arch.h"
#include "instpath.h"

#define PIN(pub, src) static_assert((pub) == (src), #pub " differs from " #src)

PIN(APEMU_OPC_PQAP, AP_OPC_PQAP);
PIN(APEMU_OPC_NQAP, AP_OPC_NQAP);
PIN(APEMU_OPC_DQAP, AP_OPC_DQAP);

PIN(APEMU_AP_MSG_MAX, AP_MSG_MAX);

PIN(APEMU_AP_STATUS_E, AP_STATUS_E);
PIN(APEMU_AP_STATUS_R, AP_STATUS_R);
PIN(APEMU_AP_STATUS_F, AP_STATUS_F);
PIN(APEMU_AP_STATUS_I, AP_STATUS_I);
PIN(APEMU_AP_STATUS_RC(AP_STATUS_RC(0xa5) | AP_STATUS_E), 0xa5);

PIN(APEMU_AP_RC_NORMAL, AP_RC_NORMAL);
PIN(APEMU_AP_RC_Q_NOT_AVAIL, AP_RC_Q_NOT_AVAIL);
PIN(APEMU_AP_RC_RESET_IN_PROGRESS, AP_RC_RESET_IN_PROGRESS);
PIN(APEMU_AP_RC_DECONFIGURED, AP_RC_DECONFIGURED);
PIN(APEMU_AP_RC_CHECKSTOPPED, AP_RC_CHECKSTOPPED);
PIN(APEMU_AP_RC_BUSY, AP_RC_BUSY);
PIN(APEMU_AP_RC_INVALID_ADDRESS, AP_RC_INVALID_ADDRESS);
PIN(APEMU_AP_RC_OTHERWISE_CHANGED, AP_RC_OTHERWISE_CHANGED);
PIN(APEMU_AP_RC_INVALID_GISA, AP_RC_INVALID_GISA);
PIN(APEMU_AP_RC_Q_FULL, AP_RC_Q_FULL);
PIN(APEMU_AP_RC_MESSAGE_TOO_BIG, AP_RC_MESSAGE_TOO_BIG);

PIN(APEMU_PGM_OPERATION, AP_PGM_OPERATION);
PIN(APEMU_PGM_PRIVILEGED, AP_PGM_PRIVILEGED);
PIN(APEMU_PGM_ADDRESSING, AP_PGM_ADDRESSING);
PIN(APEMU_PGM_SPECIFICATION, AP_PGM_SPECIFICATION);

/* A ring has a slot for each request a queue holds, and one more. */
PIN(APEMU_QRING_SLOTS_MAX, AP_QD_MAX + 1);

/* apemu_qci() hands over the block QCI stores. */
PIN(APEMU_GUEST_QCI_ADDR + AP_QCI_LEN <= APEMU_GUEST_NIB_ADDR, 1);

/* The default socket is the default instance's: "<mount>.sock". */
static_assert(__builtin_strcmp(APEMU_GUEST_DEFAULT_SOCKET, INSTPATH_DEFAULT_MOUNT ".sock") == 0,
	      "APEMU_GUEST_DEFAULT_SOCKET is not INSTPATH_DEFAULT_MOUNT \".sock\"");
