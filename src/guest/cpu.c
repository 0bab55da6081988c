/*
 * cpu - the guest CPU model's AP features and their text form
 * ("ap=on,apqci=off,..."), as QEMU's -cpu option names them.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <apemu/guest.h>

#include "guest_int.h"

static const struct {
	const char *name;
	size_t offset;
} features[] = {
    {"ap", offsetof(struct apemu_cpu, ap)},	  {"apqci", offsetof(struct apemu_cpu, apqci)},
    {"apft", offsetof(struct apemu_cpu, apft)},	  {"apqi", offsetof(struct apemu_cpu, apqi)},
    {"msax3", offsetof(struct apemu_cpu, msax3)}, {"msa3", offsetof(struct apemu_cpu, msax3)},
    {"apxa", offsetof(struct apemu_cpu, apxa)},	  {"sie", offsetof(struct apemu_cpu, sie)},
};

#define NFEATURES (sizeof(features) / sizeof(features[0]))

APEMU_PUBLIC struct apemu_cpu apemu_cpu_default(void)
{
	return (struct apemu_cpu){
	    .ap = true,
	    .apqci = true,
	    .apft = true,
	    .apqi = true,
	    .msax3 = true,
	    .apxa = true,
	    .sie = false,
	};
}

/* "on"/"off" and their synonyms; -EINVAL for anything else. */
static int parse_value(const char *s, size_t len, bool *ret)
{
	static const char *const on[] = {"on", "1", "yes", "true"};
	static const char *const off[] = {"off", "0", "no", "false"};

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (strlen(on[i]) == len && !strncmp(s, on[i], len)) {
			*ret = true;
			return 0;
		}
		if (strlen(off[i]) == len && !strncmp(s, off[i], len)) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* One "name=value" element of length len. */
static int parse_element(const char *s, size_t len, struct apemu_cpu *cpu)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen;
	bool v;

	if (!eq)
		return -EINVAL;
	nlen = (size_t)(eq - s);
	if (parse_value(eq + 1, len - nlen - 1, &v) < 0)
		return -EINVAL;
	for (size_t i = 0; i < NFEATURES; i++) {
		if (strlen(features[i].name) == nlen && !strncmp(s, features[i].name, nlen)) {
			*(bool *)((char *)cpu + features[i].offset) = v;
			return 0;
		}
	}
	return -EINVAL;
}

APEMU_PUBLIC int apemu_cpu_parse(const char *text, struct apemu_cpu *cpu)
{
	struct apemu_cpu tmp;
	const char *p;

	if (!text || !cpu)
		return -EINVAL;
	if (!*text)
		return 0;
	tmp = *cpu;
	p = text;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (parse_element(p, len, &tmp) < 0)
			return -EINVAL;
		if (!comma)
			break;
		p = comma + 1;
	}
	*cpu = tmp;
	return 0;
}
