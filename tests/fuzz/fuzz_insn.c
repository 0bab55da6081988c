/*
 * fuzz_insn - libFuzzer target: AP instructions and their operands as a
 * guest gives them: PQAP (TAPQ, RAPQ, ZAPQ, AQIC, QCI and unknown function
 * codes), NQAP and DQAP with any registers, any CRYCB bytes and any guest
 * memory, on the built-in machine with a queue ring per APQN.
 *
 * Invariant: an instruction never reads or writes outside the guest's
 * memory or the rings, whatever the registers, the CRYCB or the memory
 * hold; it ends in a program interruption or a condition code 0-3.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crycb.h"
#include "insn.h"
#include "machine_json.h"
#include "qring.h"

#define MEM_SIZE  (64 * 1024)
#define MAX_RINGS 32
#define SLOTS	  2
#define SLOT_SIZE 4096

struct fx {
	unsigned int apqn[MAX_RINGS];
	struct qring_host q[MAX_RINGS];
	void *ring[MAX_RINGS];
	unsigned int n;
};

static struct qring_host *fx_queue(void *ctx, unsigned int apqn, bool create)
{
	struct fx *f = ctx;

	for (unsigned int i = 0; i < f->n; i++)
		if (f->apqn[i] == apqn)
			return &f->q[i];
	if (!create || f->n == MAX_RINGS)
		return NULL;
	f->ring[f->n] = calloc(1, APEMU_QRING_BYTES(SLOTS, SLOT_SIZE));
	qring_host_init(&f->q[f->n], f->ring[f->n], apqn, SLOTS, SLOT_SIZE, SLOT_SIZE, 7);
	f->apqn[f->n] = apqn;
	return &f->q[f->n++];
}

static void fx_submitted(void *ctx, unsigned int apqn)
{
	(void)ctx;
	(void)apqn;
}

static uint64_t take(const uint8_t **p, size_t *n, unsigned int k)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < k && *n; i++, (*p)++, (*n)--)
		v = v << 8 | **p;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ap_system *sys;
	static uint8_t *mem;
	static const uint16_t opc[] = {AP_OPC_PQAP, AP_OPC_NQAP, AP_OPC_DQAP, 0x1234};
	struct fx f = {.n = 0};
	struct ap_cpu_model cpu;
	struct crycb crycb;
	struct ap_insn_env env;
	uint8_t flags, fmt;
	size_t n;

	if (!sys) {
		char err[MACHINE_JSON_ERR_LEN];
		struct machine_json mj;

		if (machine_json_load(NULL, &mj, err, sizeof(err)) < 0 ||
		    machine_json_system_new(&mj, &sys) < 0)
			abort();
		mem = malloc(MEM_SIZE);
	}
	if (size < 2)
		return 0;
	flags = data[0];
	fmt = data[1];
	cpu = (struct ap_cpu_model){.ap = !(flags & 1),
				    .apqci = !(flags & 2),
				    .apft = !(flags & 4),
				    .apqi = !(flags & 8),
				    .msax3 = true,
				    .apxa = !(flags & 16)};
	/* the CRYCB: every byte from the input (the masks a guest could be given) */
	memset(&crycb, 0xff, sizeof(crycb));
	n = size - 2 < sizeof(crycb) / 4 ? size - 2 : sizeof(crycb) / 4;
	memcpy(crycb.b + 0x80, data + 2, n);
	data += 2 + n;
	size -= 2 + n;
	/* guest memory: the next bytes, then zeros */
	memset(mem, 0, MEM_SIZE);
	n = size < 4096 ? size / 2 : 2048;
	memcpy(mem, data, n);
	data += n;
	size -= n;
	env = (struct ap_insn_env){.sys = sys,
				   .cpu = &cpu,
				   .crycbd = 0x00100000u | (fmt & CRYCB_FORMAT_MASK),
				   .crycb = &crycb,
				   .problem_state = flags & 32,
				   .aqic_hook = !(flags & 64),
				   .mem = mem,
				   .mem_size = flags & 128 ? 8192 : MEM_SIZE,
				   .queue = fx_queue,
				   .submitted = fx_submitted,
				   .ctx = &f};
	while (size >= 4) {
		struct ap_insn insn = {.opcode = opc[take(&data, &size, 1) % 4]};
		struct ap_regs regs = {{0}};
		struct ap_insn_result res;

		insn.r1 = (uint8_t)(take(&data, &size, 1) % 16);
		insn.r2 = (uint8_t)(take(&data, &size, 1) % 16);
		for (unsigned int i = 0, k = (unsigned int)take(&data, &size, 1) % 9; i < k; i++)
			regs.gr[i] = take(&data, &size, 8);
		/* registers near a real operand: a short message or buffer at 0x1000 */
		if (regs.gr[7] > MEM_SIZE)
			regs.gr[7] %= 8192;
		ap_insn_execute(&env, &insn, &regs, &res);
		if (!res.pgm && (res.cc < 0 || res.cc > 3))
			abort();
	}
	for (unsigned int i = 0; i < f.n; i++)
		free(f.ring[i]);
	return 0;
}
