/*
 * machine - the emulated AP hardware (see machine.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine.h"

#define DEFAULT_DEPTH        7
#define DEFAULT_MAX_MSG_SIZE 12288
#define MAX_MSG_SIZE_LIMIT   (15 * 4096) /* the ML field is 4 bits of 4 KiB units */

unsigned int machine_max_apid(const struct ap_machine *m)
{
	return m->info.qci && m->info.apxa ? m->info.na : AP_NO_APXA_MAX_APID;
}

unsigned int machine_max_apqi(const struct ap_machine *m)
{
	return m->info.qci && m->info.apxa ? m->info.nd : AP_NO_APXA_MAX_APQI;
}

int machine_init(struct ap_machine *m, const struct ap_machine_info *info)
{
	unsigned int max_apqi = info->qci && info->apxa ? info->nd : AP_NO_APXA_MAX_APQI;

	if (ap_mask_any_above(&info->usage_domains, max_apqi) ||
	    ap_mask_any_above(&info->control_domains, max_apqi))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->info = *info;
	return 0;
}

static int check_adapter_desc(const struct ap_machine *m, const struct ap_adapter_desc *d)
{
	if (d->id > machine_max_apid(m))
		return -EINVAL;
	if (d->gen < AP_GEN_MIN || d->gen > AP_GEN_MAX)
		return -EINVAL;
	if (d->mode != AP_MODE_ACCEL && d->mode != AP_MODE_CCA && d->mode != AP_MODE_EP11)
		return -EINVAL;
	if (d->depth < -1 || d->depth > 15)
		return -EINVAL;
	if (d->max_msg_size != -1 &&
	    (d->max_msg_size <= 0 || d->max_msg_size % 4096 || d->max_msg_size > MAX_MSG_SIZE_LIMIT))
		return -EINVAL;
	if (d->serial && strlen(d->serial) > 16)
		return -EINVAL;
	if (m->adapter[d->id].present)
		return -EEXIST;
	return 0;
}

int machine_add_adapter(struct ap_machine *m, const struct ap_adapter_desc *d)
{
	struct ap_adapter *a;
	int r = check_adapter_desc(m, d);

	if (r < 0)
		return r;
	a = &m->adapter[d->id];
	memset(a, 0, sizeof(*a));
	a->present = true;
	a->gen = (uint8_t)d->gen;
	a->mode = d->mode;
	a->depth = (uint8_t)(d->depth < 0 ? DEFAULT_DEPTH : d->depth);
	a->max_msg_size = (uint32_t)(d->max_msg_size < 0 ? DEFAULT_MAX_MSG_SIZE : d->max_msg_size);
	if (d->serial)
		snprintf(a->serial, sizeof(a->serial), "%s", d->serial);
	else
		snprintf(a->serial, sizeof(a->serial), "APEMU%03u", d->id);
	a->configured = true;
	ap_mask_set(&m->present, d->id);
	return 0;
}

int machine_remove_adapter(struct ap_machine *m, unsigned int id)
{
	if (id >= AP_DEVICES || !ap_mask_test(&m->present, id))
		return -ENODEV;
	memset(&m->adapter[id], 0, sizeof(m->adapter[id]));
	ap_mask_clear(&m->present, id);
	return 0;
}

void machine_unconfigure_adapter(struct ap_machine *m, unsigned int id)
{
	if (id < AP_DEVICES) {
		m->adapter[id].present = false;
		ap_mask_clear(&m->present, id);
	}
}

void machine_adapter_mask(const struct ap_machine *m, struct ap_mask *ret)
{
	*ret = m->present;
}

bool machine_apqn_exists(const struct ap_machine *m, unsigned int apid, unsigned int apqi)
{
	return apid < AP_DEVICES && m->adapter[apid].present && apqi <= machine_max_apqi(m) &&
	       ap_mask_test(&m->info.usage_domains, apqi);
}

unsigned int machine_hwtype(const struct ap_adapter *a)
{
	return AP_HWTYPE_CEX4 + a->gen - AP_GEN_MIN;
}

uint32_t machine_functions(const struct ap_machine *m, const struct ap_adapter *a)
{
	uint32_t f = AP_FUNC_FULL;

	switch (a->mode) {
	case AP_MODE_ACCEL:
		f |= AP_FUNC_MEX4K | AP_FUNC_CRT4K | AP_FUNC_ACCEL;
		break;
	case AP_MODE_CCA:
		f |= AP_FUNC_APSC | AP_FUNC_MEX4K | AP_FUNC_CRT4K | AP_FUNC_COPRO;
		break;
	case AP_MODE_EP11:
		f |= AP_FUNC_APSC | AP_FUNC_EP11;
		break;
	}
	if (m->info.qci && m->info.apxa)
		f |= AP_FUNC_APXA;
	return f;
}

const char *machine_mode_name(enum ap_mode mode)
{
	switch (mode) {
	case AP_MODE_ACCEL:
		return "accel";
	case AP_MODE_CCA:
		return "cca";
	case AP_MODE_EP11:
		return "ep11";
	}
	return "unknown";
}

void machine_type_name(const struct ap_adapter *a, char out[6])
{
	static const char letter[] = {[AP_MODE_ACCEL] = 'A', [AP_MODE_CCA] = 'C', [AP_MODE_EP11] = 'P'};

	snprintf(out, 6, "CEX%u%c", (unsigned int)a->gen % 10, letter[a->mode]);
}

int machine_queue_rc(const struct ap_adapter *a)
{
	if (!a->present)
		return AP_RC_Q_NOT_AVAIL;
	if (a->chkstop)
		return AP_RC_CHECKSTOPPED;
	if (!a->configured)
		return AP_RC_DECONFIGURED;
	return AP_RC_NORMAL;
}
