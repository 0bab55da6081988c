/*
 * busorder - queue devices in the driver core's orders (see busorder.h).
 */
#include <stdlib.h>

#include "bus.h"
#include "busorder.h"

struct entry {
	uint64_t key;
	unsigned int apqn;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

unsigned int *busorder_queues(const struct ap_system *s, int apid, enum busorder_key key,
			      size_t *ret_n)
{
	unsigned int first = apid < 0 ? 0 : (unsigned int)apid;
	unsigned int last = apid < 0 ? AP_DEVICES - 1 : (unsigned int)apid;
	struct entry *e;
	unsigned int *out;
	size_t n = 0;

	*ret_n = 0;
	e = malloc(sizeof(*e) * (last - first + 1) * AP_DOMAINS);
	if (!e)
		return NULL;
	for (unsigned int a = first; a <= last; a++) {
		if (!apbus_card_exists(s, a))
			continue;
		for (unsigned int d = 0; d < AP_DOMAINS; d++) {
			const struct ap_queue_dev *q = &s->bus.queue[AP_APQN(a, d)];

			if (!apbus_queue_exists(s, a, d))
				continue;
			e[n].key = key == BUSORDER_BOUND ? q->bindseq : q->regseq;
			e[n++].apqn = AP_APQN(a, d);
		}
	}
	/* a stable order for equal keys: the APQN (qsort is not stable) */
	for (size_t i = 0; i < n; i++)
		e[i].key = e[i].key << 16 | e[i].apqn;
	qsort(e, n, sizeof(*e), entry_cmp);
	out = malloc(sizeof(*out) * (n ? n : 1));
	if (out) {
		for (size_t i = 0; i < n; i++)
			out[i] = e[i].apqn;
		*ret_n = n;
	}
	free(e);
	return out;
}
