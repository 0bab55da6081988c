/*
 * bus_attr - the AP bus's own settings (see bus.h): ap_domain, config_time,
 * poll_thread, poll_timeout and scans, as ap_bus.c's bus attribute stores
 * take them.
 */
#include <errno.h>

#include "bus.h"

#define POLL_TIMEOUT_MAX 120000000000ULL

int apbus_store_ap_domain(struct ap_system *s, const char *buf, size_t len)
{
	int domain;

	if (ap_parse_int_auto(buf, len, &domain) < 0 || domain < 0 ||
	    (unsigned int)domain > machine_max_apqi(&s->hw))
		return -EINVAL;
	if (apbus_has_masks(s) && !ap_mask_test(&s->bus.aqmask, (unsigned int)domain))
		return -EINVAL;
	s->bus.ap_domain = domain;
	return 0;
}

int apbus_store_config_time(struct ap_system *s, const char *buf, size_t len)
{
	int t;

	if (ap_parse_int_dec(buf, len, &t) < 0 || t < 5 || t > 120)
		return -EINVAL;
	s->bus.config_time = t;
	return 0;
}

int apbus_store_poll_thread(struct ap_system *s, const char *buf, size_t len)
{
	bool on;
	int v;

	if (s->abi == AP_ABI_V8) {
		if (ap_parse_int_dec(buf, len, &v) < 0)
			return -EINVAL;
		on = v != 0;
	} else if (ap_parse_bool(buf, len, &on) < 0) {
		return -EINVAL;
	}
	s->bus.poll_thread = on;
	return 0;
}

int apbus_store_poll_timeout(struct ap_system *s, const char *buf, size_t len)
{
	unsigned long long t;
	unsigned long v;
	int r;

	if (s->abi == AP_ABI_V8) {
		/* 4.x: sscanf %llu, 1 ns .. 120 s */
		if (ap_parse_ull_dec(buf, len, &t) < 0 || t < 1 || t > POLL_TIMEOUT_MAX)
			return -EINVAL;
		s->bus.poll_timeout = t;
		return 0;
	}
	/* today: kstrtoul (its errors as they are), 0 .. 120 s */
	r = ap_parse_ulong(buf, len, &v);
	if (r < 0)
		return r;
	if (v > POLL_TIMEOUT_MAX)
		return -EINVAL;
	s->bus.poll_timeout = v;
	return 0;
}

int apbus_store_scans(struct ap_system *s, const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	s->bus.scans++;
	return 0;
}
