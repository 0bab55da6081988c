/*
 * fuzz_qring - libFuzzer target: a queue ring in guest memory, both sides
 * (src/common/qring.c), on arbitrary ring bytes. The input lays out a ring
 * (nslots, slot size), then is a program: the guest writes any bytes
 * anywhere in the ring (counters, slots, apemud's own line), puts and gets
 * messages; apemud takes, completes, resets and counts.
 *
 * Invariant: nothing either side does reads or writes outside the ring,
 * whatever the ring holds; apemud never takes more than the queue holds, a
 * request it takes fits its buffer, and its counters stay within the
 * queue's size.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qring.h"

#define EPOCH 0x1234u

struct input {
	const uint8_t *p;
	size_t n;
};

static uint32_t take_bytes(struct input *in, unsigned int k)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < k && in->n; i++, in->p++, in->n--)
		v = v << 8 | *in->p;
	return v;
}

static void guest_write(struct input *in, uint8_t *ring, size_t bytes)
{
	size_t off = take_bytes(in, 2) % bytes;
	size_t len = take_bytes(in, 1) % 17;

	if (len > bytes - off)
		len = bytes - off;
	if (len > in->n)
		len = in->n;
	memcpy(ring + off, in->p, len);
	in->p += len;
	in->n -= len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	unsigned int nslots = 1 + take_bytes(&in, 1) % APEMU_QRING_SLOTS_MAX;
	unsigned int slot_size = 8 * (1 + take_bytes(&in, 1) % 64);
	size_t bytes = APEMU_QRING_BYTES(nslots, slot_size);
	uint8_t *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	struct apemu_qring *r = (struct apemu_qring *)mem;
	uint8_t buf[512], msg[512];
	struct qring_host h;
	struct qring_geom g;
	unsigned int w, p, inc;
	uint64_t psmid, gen = 0;
	size_t len, residual;

	qring_host_init(&h, r, 0x0506, nslots, slot_size, slot_size, EPOCH);
	qring_geom_of(r, &g); /* the guest reads the geometry of a fresh ring */
	memset(msg, 0xab, sizeof(msg));
	for (int steps = 0; in.n && steps < 256; steps++) {
		switch (take_bytes(&in, 1) % 8) {
		case 0:
		case 1:
			guest_write(&in, mem, bytes);
			break;
		case 2:
			qring_put(r, &g, take_bytes(&in, 4), msg,
				  take_bytes(&in, 2) % (slot_size + 1));
			break;
		case 3:
			qring_get(r, &g, buf, take_bytes(&in, 2) % (sizeof(buf) + 1), &psmid,
				  &residual);
			break;
		case 4:
			len = take_bytes(&in, 2) % (sizeof(buf) + 1);
			if (qring_host_take(&h, buf, len, &psmid, &len, &gen) == 0 &&
			    len > slot_size)
				abort();
			break;
		case 5:
			qring_host_complete(&h, gen, psmid, msg,
					    take_bytes(&in, 2) % (slot_size + 1));
			break;
		case 6:
			qring_host_reset(&h);
			break;
		default:
			qring_host_counts(&h, &w, &p, &inc);
			if (w > nslots)
				abort();
			qring_host_status(&h);
			qring_host_pending(&h);
			qring_status(r, &g);
			break;
		}
	}
	free(mem);
	return 0;
}
