/*
 * audit - the promises of the AP bus and the vfio_ap matrix driver that no
 * sequence of stores, hardware events and guest operations may break
 * (checked by `apemu status --check` and, in the sanitizer builds, after
 * every configuration change):
 * - no APQN is in two mdevs, and the owner index names the one it is in;
 * - (cur) an mdev's guest matrix lies in its matrix and in the host's
 *   configuration, and every queue of it is bound to vfio_ap; its control
 *   domains lie in its assigned ones.
 */
#ifndef APEMU_CORE_AUDIT_H
#define APEMU_CORE_AUDIT_H

#include "system.h"

/* One violation, as a line of text naming the APQNs and mdevs involved. */
typedef void (*ap_audit_fn)(void *ctx, const char *text);

/* Check s (configuration lock held); returns the number of violations
 * reported. Allocates nothing. */
int ap_audit_matrix(const struct ap_system *s, ap_audit_fn report, void *ctx);

#endif
