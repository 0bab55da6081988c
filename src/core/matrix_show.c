/*
 * matrix_show - the text of the vfio_ap attributes that show a matrix
 * (matrix, guest_matrix, control_domains, ap_config) and of a queue's
 * status, as the kernel prints them (see matrix.h).
 */
#include <stdio.h>
#include <string.h>

#include "matrix.h"

#define SHOW_PAGE 4096

struct show_buf {
	char *p;
	size_t size, len;
};

static void show_add(struct show_buf *b, const char *fmt, unsigned int x, unsigned int y)
{
	int n;

	if (b->len + 1 >= b->size)
		return;
	n = snprintf(b->p + b->len, b->size - b->len, fmt, x, y);
	if (n > 0)
		b->len += (size_t)n < b->size - b->len ? (size_t)n : b->size - b->len - 1;
}

static size_t show_init(struct show_buf *b, char *out, size_t size)
{
	if (size > SHOW_PAGE)
		size = SHOW_PAGE;
	b->p = out;
	b->size = size;
	b->len = 0;
	if (size)
		out[0] = '\0';
	return size;
}

static size_t show_apqns(const struct ap_mask *apm, const struct ap_mask *aqm, char *out,
			 size_t size)
{
	struct show_buf b;
	int a, d;

	if (!show_init(&b, out, size))
		return 0;
	if (!ap_mask_empty(apm) && !ap_mask_empty(aqm)) {
		ap_mask_for_each (a, apm)
			ap_mask_for_each (d, aqm)
				show_add(&b, "%02x.%04x\n", (unsigned int)a, (unsigned int)d);
	} else if (!ap_mask_empty(apm)) {
		ap_mask_for_each (a, apm)
			show_add(&b, "%02x.\n", (unsigned int)a, 0);
	} else {
		ap_mask_for_each (d, aqm)
			show_add(&b, ".%04x\n", (unsigned int)d, 0);
	}
	return b.len;
}

size_t matrix_show_matrix(const struct ap_mdev *m, char *out, size_t size)
{
	return show_apqns(&m->apm, &m->aqm, out, size);
}

size_t matrix_show_guest_matrix(const struct ap_mdev *m, char *out, size_t size)
{
	return show_apqns(&m->shadow_apm, &m->shadow_aqm, out, size);
}

size_t matrix_show_control_domains(const struct ap_mdev *m, char *out, size_t size)
{
	struct show_buf b;
	int d;

	if (!show_init(&b, out, size))
		return 0;
	ap_mask_for_each (d, &m->adm)
		show_add(&b, "%04x\n", (unsigned int)d, 0);
	return b.len;
}

size_t matrix_show_ap_config(const struct ap_mdev *m, char *out, size_t size)
{
	char h[3][AP_MASK_HEX_LEN];
	int n;

	if (!size)
		return 0;
	ap_mask_format(&m->apm, h[0]);
	ap_mask_format(&m->aqm, h[1]);
	ap_mask_format(&m->adm, h[2]);
	n = snprintf(out, size, "%s,%s,%s\n", h[0], h[1], h[2]);
	return (size_t)n < size ? (size_t)n : size - 1;
}

enum ap_queue_status matrix_queue_status(const struct ap_system *s, unsigned int apqn)
{
	const struct ap_mdev *m = matrix_apqn_owner(s, apqn);

	if (!m)
		return AP_QSTATUS_UNASSIGNED;
	if (m->guest && ap_mask_test(&m->shadow_apm, AP_APQN_APID(apqn)) &&
	    ap_mask_test(&m->shadow_aqm, AP_APQN_APQI(apqn)))
		return AP_QSTATUS_IN_USE;
	return AP_QSTATUS_ASSIGNED;
}
