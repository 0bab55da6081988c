/*
 * insn_test - the guest's AP instructions as the machine and KVM answer
 * them (insn.c over the queue rings of qring.c, crycb.c and the AP bus).
 *
 * Invariants (facts 7, 9; insn.h): no AP for the guest is an operation
 * exception, problem state a privileged-operation exception, malformed
 * operands specification or addressing exceptions, and every exception
 * leaves registers and guest memory as they were. An APQN the guest's CRYCB
 * (read in its own format) does not grant, or that the host does not have,
 * answers rc 0x01 with cc 3; the status word sits in GR1 bits 32-63 with the
 * high half zero and cc 3 comes with every non-zero response code. QCI
 * shows the guest's masks, never the host's.
 *
 * The host: APXA with Na = Nd = 255; adapters 3 (CEX7A, depth 3, 8 KiB),
 * 5 (CEX6C), 10 (CEX5A) and 70 (CEX8P, depth 1, 60 KiB); usage domains 4,
 * 5, 20, 30. The guest: APM {3, 5, 9, 70}, AQM {4, 6, 20}, ADM {4, 7}, so
 * adapter 9 and domain 6 exist only in the CRYCB, adapter 10 and domains 5
 * and 30 only on the host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "hwsnap.h"
#include "insn.h"

#define MEM_SIZE 0x10000u
#define MSG	 0x1000u /* where tests put request messages */
#define BUF	 0x8000u /* where DQAP replies go */
#define NIB	 0x2000u
#define NQ	 32

#define Q34   AP_APQN(3, 4) /* capacity 4 */
#define Q54   AP_APQN(5, 4)
#define Q704  AP_APQN(70, 4)
#define Q7020 AP_APQN(70, 20)

/* register pairs used for NQAP/DQAP: R1 = 4/5 (PSMID), R2 = 6/7 (address, length) */
#define R1 4
#define R2 6

#define ST_E  0x80000000u
#define ST_R  0x40000000u
#define ST_F  0x20000000u
#define ST_I  0x01000000u
#define RC(x) ((uint32_t)(x) << 16)

#define AQIC_IR 0x0000800000000000ull

struct fx {
	struct ap_system *sys;
	struct ap_cpu_model cpu;
	struct crycb crycb;
	struct ap_insn_env env;
	struct ap_regs regs;
	uint8_t *mem;
	unsigned int apqn[NQ];
	struct qring_host q[NQ];
	void *ring[NQ];
	unsigned int nq;
	int hidden; /* an APQN the queue callback does not know, -1: none */
	unsigned int nsubmitted, last_submitted;
	/* run every instruction against a snapshot (hwsnap.h) of sys, read
	 * through the environment's reader as the trap path reads its view */
	bool use_snap;
	struct hwsnap snap;
};

static struct qring_host *fx_queue(void *ctx, unsigned int apqn, bool create)
{
	struct fx *f = ctx;

	(void)create;
	for (unsigned int i = 0; i < f->nq; i++)
		if (f->apqn[i] == apqn && (int)apqn != f->hidden)
			return &f->q[i];
	return NULL;
}

static void fx_submitted(void *ctx, unsigned int apqn)
{
	struct fx *f = ctx;

	f->nsubmitted++;
	f->last_submitted = apqn;
}

static void add_adapter(struct ap_machine *hw, unsigned int id, unsigned int gen, enum ap_mode mode,
			int depth, long max_msg_size)
{
	struct ap_adapter_desc d = {
	    .id = id, .gen = gen, .mode = mode, .depth = depth, .max_msg_size = max_msg_size};

	assert_int_equal(machine_add_adapter(hw, &d), 0);
}

static struct ap_system *host_new(bool apxa, unsigned int nd)
{
	struct ap_machine_info info = {
	    .qci = true, .apft = true, .aqic = true, .apxa = apxa, .na = 255, .nd = (uint8_t)nd};
	static const unsigned int domains[] = {4, 5, 20, 30};
	struct ap_system *s = calloc(1, sizeof(*s));
	struct ap_machine hw;

	assert_non_null(s);
	for (unsigned int i = 0; i < 4; i++)
		if (domains[i] <= (apxa ? nd : 15u))
			ap_mask_set(&info.usage_domains, domains[i]);
	ap_mask_set(&info.control_domains, 4);
	assert_int_equal(machine_init(&hw, &info), 0);
	add_adapter(&hw, 3, 7, AP_MODE_ACCEL, 3, 8192);
	add_adapter(&hw, 5, 6, AP_MODE_CCA, -1, -1);
	add_adapter(&hw, 10, 5, AP_MODE_ACCEL, -1, -1);
	if (apxa)
		add_adapter(&hw, 70, 8, AP_MODE_EP11, 1, 61440);
	assert_int_equal(ap_system_init(s, AP_ABI_CUR, &hw, NULL, NULL, -1, 0), 0);
	return s;
}

static void host_free(struct ap_system *s)
{
	ap_system_clear(s);
	free(s);
}

/* Give the guest its masks in a CRYCB of this format (0, 1 or 3). */
static void set_format(struct fx *f, unsigned int format)
{
	static const unsigned int apids[] = {3, 5, 9, 70}, apqis[] = {4, 6, 20}, ctl[] = {4, 7};
	struct ap_mask apm = {{0}}, aqm = {{0}}, adm = {{0}};

	for (unsigned int i = 0; i < 4; i++)
		ap_mask_set(&apm, apids[i]);
	for (unsigned int i = 0; i < 3; i++)
		ap_mask_set(&aqm, apqis[i]);
	for (unsigned int i = 0; i < 2; i++)
		ap_mask_set(&adm, ctl[i]);
	crycb_init(&f->crycb, false, NULL, NULL);
	crycb_set_masks(&f->crycb, format, &apm, &aqm, &adm);
	f->env.crycbd = 0x00100000u | format;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int a, d;

	assert_non_null(f);
	f->sys = host_new(true, 255);
	f->mem = calloc(1, MEM_SIZE);
	assert_non_null(f->mem);
	f->cpu = (struct ap_cpu_model){
	    .ap = true, .apqci = true, .apft = true, .apqi = true, .msax3 = true, .apxa = true};
	for (a = 0; a < AP_DEVICES; a++)
		for (d = 0; d < AP_DOMAINS; d++)
			if (apbus_queue_exists(f->sys, a, d)) {
				assert_true(f->nq < NQ);
				unsigned int slots = f->sys->hw.adapter[a].depth + 1u;
				uint32_t max = f->sys->hw.adapter[a].max_msg_size;

				f->apqn[f->nq] = AP_APQN(a, d);
				f->ring[f->nq] = calloc(1, APEMU_QRING_BYTES(slots, max));
				assert_non_null(f->ring[f->nq]);
				qring_host_init(&f->q[f->nq], f->ring[f->nq], AP_APQN(a, d), slots,
						max, max, 7);
				f->nq++;
			}
	f->hidden = -1;
	f->env = (struct ap_insn_env){.sys = f->sys,
				      .cpu = &f->cpu,
				      .crycb = &f->crycb,
				      .aqic_hook = true,
				      .mem = f->mem,
				      .mem_size = MEM_SIZE,
				      .queue = fx_queue,
				      .submitted = fx_submitted,
				      .ctx = f};
	set_format(f, CRYCB_FORMAT2);
	*state = f;
	return 0;
}

/* The same fixture, with the instructions reading a snapshot. */
static int setup_snap(void **state)
{
	int r = setup(state);
	struct fx *f = *state;

	f->use_snap = true;
	return r;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (unsigned int i = 0; i < f->nq; i++)
		free(f->ring[i]);
	host_free(f->sys);
	free(f->mem);
	free(f);
	return 0;
}

static struct qring_host *queue_of(struct fx *f, unsigned int apqn)
{
	struct qring_host *q = fx_queue(f, apqn, false);

	assert_non_null(q);
	return q;
}

/* Requests not completed, replies not dequeued. */
static unsigned int nreq(struct fx *f, unsigned int apqn)
{
	unsigned int waiting, pending, incomplete;

	qring_host_counts(queue_of(f, apqn), &waiting, &pending, &incomplete);
	return incomplete;
}

static unsigned int nrep(struct fx *f, unsigned int apqn)
{
	struct qring_host *q = queue_of(f, apqn);
	unsigned int waiting, pending, incomplete;

	qring_host_counts(q, &waiting, &pending, &incomplete);
	return pending - (q->taken - q->prod);
}

/* The adapter answers the oldest request with reply. */
static void complete(struct qring_host *q, const char *reply, size_t len)
{
	uint8_t buf[64];
	uint64_t psmid, gen;
	size_t n;

	assert_int_equal(qring_host_take(q, buf, sizeof(buf), &psmid, &n, &gen), 0);
	assert_true(qring_host_complete(q, gen, psmid, reply, len));
}

static struct ap_insn_result run(struct fx *f, uint16_t opcode, uint8_t r1, uint8_t r2)
{
	struct ap_insn insn = {.opcode = opcode, .r1 = r1, .r2 = r2};
	struct ap_insn_result res = {.pgm = -1, .cc = -1};

	if (f->use_snap) {
		hwsnap_update(&f->snap, f->sys);
		f->env.hw = &hwsnap_reader;
		f->env.hw_ctx = &f->snap;
	}
	ap_insn_execute(&f->env, &insn, &f->regs, &res);
	return res;
}

/* Run and expect a program interruption that leaves registers and memory alone. */
static void expect_pgm(struct fx *f, uint16_t opcode, uint8_t r1, uint8_t r2, int pgm)
{
	struct ap_regs before = f->regs;
	uint8_t *mem = malloc(MEM_SIZE);
	struct ap_insn_result res;

	assert_non_null(mem);
	memcpy(mem, f->mem, MEM_SIZE);
	res = run(f, opcode, r1, r2);
	assert_int_equal(res.pgm, pgm);
	assert_memory_equal(&f->regs, &before, sizeof(before));
	assert_memory_equal(f->mem, mem, MEM_SIZE);
	free(mem);
}

/* Run and expect this cc and status word (GR1, high half zero). */
static void expect_status(struct fx *f, uint16_t opcode, uint8_t r1, uint8_t r2, int cc,
			  uint32_t status)
{
	struct ap_insn_result res;

	f->regs.gr[1] = ~0ull;
	res = run(f, opcode, r1, r2);
	assert_int_equal(res.pgm, 0);
	assert_int_equal(res.cc, cc);
	assert_int_equal(f->regs.gr[1], (uint64_t)status);
}

static void pqap_setup(struct fx *f, unsigned int fc, uint32_t bits, unsigned int apqn)
{
	f->regs.gr[0] = (uint64_t)fc << 24 | bits | apqn;
}

static void tapq_expect(struct fx *f, unsigned int apqn, int cc, uint32_t status)
{
	pqap_setup(f, AP_FC_TAPQ, 0, apqn);
	expect_status(f, AP_OPC_PQAP, 0, 0, cc, status);
}

static void nqap_setup(struct fx *f, unsigned int apqn, uint64_t psmid, const char *text)
{
	size_t len = strlen(text);

	memcpy(f->mem + MSG, text, len);
	f->regs.gr[0] = 0x40000000u | apqn; /* Linux sets bit 33 */
	f->regs.gr[R1] = psmid >> 32;
	f->regs.gr[R1 + 1] = psmid & 0xffffffffu;
	f->regs.gr[R2] = MSG;
	f->regs.gr[R2 + 1] = len;
}

static void nqap_expect(struct fx *f, unsigned int apqn, uint64_t psmid, int cc, uint32_t status)
{
	nqap_setup(f, apqn, psmid, "request");
	expect_status(f, AP_OPC_NQAP, R1, R2, cc, status);
}

static void dqap_setup(struct fx *f, unsigned int apqn, uint64_t buflen)
{
	f->regs.gr[0] = 0x80000000u | apqn; /* Linux sets bit 32 */
	f->regs.gr[R1] = 0xeeee;
	f->regs.gr[R1 + 1] = 0xeeee;
	f->regs.gr[R2] = BUF;
	f->regs.gr[R2 + 1] = buflen;
}

/* The executor: complete every request of a queue with "re:" + its text. */
static void execute_all(struct fx *f, unsigned int apqn)
{
	struct qring_host *q = queue_of(f, apqn);
	uint64_t psmid, gen;
	char reply[64];
	size_t n;

	while (qring_host_take(q, reply + 3, sizeof(reply) - 3, &psmid, &n, &gen) == 0) {
		memcpy(reply, "re:", 3);
		assert_true(qring_host_complete(q, gen, psmid, reply, n + 3));
	}
}

/* ---- exceptions every instruction shares ---- */

static void test_no_ap_instructions_is_operation_exception(void **state)
{
	static const unsigned int fcs[] = {AP_FC_TAPQ, AP_FC_RAPQ, AP_FC_ZAPQ, AP_FC_AQIC,
					   AP_FC_QCI};
	struct fx *f = *state;

	f->cpu.ap = false;
	for (unsigned int i = 0; i < 5; i++) {
		pqap_setup(f, fcs[i], 0, Q34);
		f->regs.gr[2] = 0x3000;
		expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_OPERATION);
	}
	nqap_setup(f, Q34, 1, "x");
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_OPERATION);
	dqap_setup(f, Q34, 16);
	expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_OPERATION);
	assert_int_equal(nreq(f, Q34), 0);
	assert_int_equal(f->nsubmitted, 0);
}

static void test_operation_exception_precedes_privileged_operation(void **state)
{
	struct fx *f = *state;

	f->cpu.ap = false;
	f->env.problem_state = true;
	pqap_setup(f, AP_FC_TAPQ, 0, Q34);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_OPERATION);
}

static void test_unknown_opcode_is_operation_exception(void **state)
{
	struct fx *f = *state;

	pqap_setup(f, AP_FC_TAPQ, 0, Q34);
	expect_pgm(f, 0xb2ac, 0, 0, AP_PGM_OPERATION);
}

static void test_problem_state_is_privileged_operation(void **state)
{
	static const unsigned int fcs[] = {AP_FC_TAPQ, AP_FC_RAPQ, AP_FC_ZAPQ, AP_FC_AQIC,
					   AP_FC_QCI};
	struct fx *f = *state;

	f->env.problem_state = true;
	for (unsigned int i = 0; i < 5; i++) {
		pqap_setup(f, fcs[i], 0, Q34);
		f->regs.gr[1] = AQIC_IR;
		f->regs.gr[2] = 0x3000;
		expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_PRIVILEGED);
	}
	nqap_setup(f, Q34, 1, "x");
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_PRIVILEGED);
	dqap_setup(f, Q34, 16);
	expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_PRIVILEGED);
	assert_false(queue_of(f, Q34)->irq);
	assert_int_equal(nreq(f, Q34), 0);
}

static void test_privileged_operation_precedes_specification(void **state)
{
	struct fx *f = *state;

	f->env.problem_state = true;
	pqap_setup(f, 0x55, AP_GR0_RESERVED | AP_GR0_T_BIT, Q34);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_PRIVILEGED);
	nqap_setup(f, Q34, 1, "x");
	expect_pgm(f, AP_OPC_NQAP, R1 + 1, R2, AP_PGM_PRIVILEGED);
}

/* ---- PQAP specification and addressing ---- */

static void test_pqap_unknown_function_code_is_specification(void **state)
{
	static const unsigned int fcs[] = {0x05, 0x06, 0x07, 0x08, 0x80, 0xff};
	struct fx *f = *state;

	for (unsigned int i = 0; i < 6; i++) {
		pqap_setup(f, fcs[i], 0, Q34);
		expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	}
}

static void test_pqap_reserved_bits_are_specification(void **state)
{
	static const unsigned int fcs[] = {AP_FC_TAPQ, AP_FC_RAPQ, AP_FC_ZAPQ, AP_FC_QCI};
	struct fx *f = *state;

	f->regs.gr[2] = 0x3000;
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int bit = 42; bit <= 47; bit++) {
			pqap_setup(f, fcs[i], 0x80000000u >> (bit - 32), Q34);
			expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
		}
}

static void test_tapq_t_bit_without_apft_is_specification(void **state)
{
	struct fx *f = *state;

	f->cpu.apft = false;
	pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, Q34);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	tapq_expect(f, Q34, 0, ST_E); /* without T it works */
}

static void test_tapq_f_bit_is_specification(void **state)
{
	struct fx *f = *state;

	pqap_setup(f, AP_FC_TAPQ, AP_GR0_F_BIT, Q34);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_rapq_and_zapq_t_bit_is_specification(void **state)
{
	struct fx *f = *state;

	pqap_setup(f, AP_FC_RAPQ, AP_GR0_T_BIT, Q34);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	pqap_setup(f, AP_FC_ZAPQ, AP_GR0_T_BIT, Q34);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_rapq_and_zapq_accept_the_f_bit(void **state)
{
	struct fx *f = *state;

	pqap_setup(f, AP_FC_RAPQ, AP_GR0_F_BIT, Q34);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	pqap_setup(f, AP_FC_ZAPQ, AP_GR0_F_BIT, Q34);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
}

static void test_qci_without_apqci_is_specification(void **state)
{
	struct fx *f = *state;

	f->cpu.apqci = false;
	pqap_setup(f, AP_FC_QCI, 0, 0);
	f->regs.gr[2] = 0x3000;
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_qci_t_or_f_bit_is_specification(void **state)
{
	struct fx *f = *state;

	f->regs.gr[2] = 0x3000;
	pqap_setup(f, AP_FC_QCI, AP_GR0_T_BIT, 0);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	pqap_setup(f, AP_FC_QCI, AP_GR0_F_BIT, 0);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_qci_unaligned_block_is_specification(void **state)
{
	static const uint64_t addrs[] = {0x3001, 0x3004, 0x3007, MEM_SIZE + 4};
	struct fx *f = *state;

	pqap_setup(f, AP_FC_QCI, 0, 0);
	for (unsigned int i = 0; i < 4; i++) {
		f->regs.gr[2] = addrs[i];
		expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	}
}

static void test_qci_block_outside_memory_is_addressing(void **state)
{
	static const uint64_t addrs[] = {MEM_SIZE - 120, MEM_SIZE, 0x100000, ~7ull};
	struct fx *f = *state;

	pqap_setup(f, AP_FC_QCI, 0, 0);
	for (unsigned int i = 0; i < 4; i++) {
		f->regs.gr[2] = addrs[i];
		expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_ADDRESSING);
	}
	f->regs.gr[2] = MEM_SIZE - 128;
	assert_int_equal(run(f, AP_OPC_PQAP, 0, 0).cc, 0);
	assert_int_equal(f->mem[MEM_SIZE - 128], 0x40);
}

/* ---- QCI ---- */

#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

/* clang-format off */
/* the guest's masks; the host would show adapter 10 (0x20 in byte 17), domains 5 and 30 */
static const uint8_t qci_format2[128] = {
    /* 0x00 N, Na, Nd */ 0x40, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x10 APM 3 5 9 70 */ 0x14, 0x40, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20 */ Z16,
    /* 0x30 AQM 4 6 20 */ 0x0a, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x40 */ Z16,
    /* 0x50 ADM 4 7 */ 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x60 */ Z16,
    /* 0x70 */ Z16,
};

/* APCB0: adapter 70 and domain 20 cannot be expressed; no APXA, Na 63, Nd 15 */
static const uint8_t qci_format1[128] = {
    /* 0x00 Na, Nd */ 0, 0, 0, 0, 0x3f, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x10 APM 3 5 9 */ 0x14, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20 */ Z16,
    /* 0x30 AQM 4 6 */ 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x40 */ Z16,
    /* 0x50 ADM 4 7 */ 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x60 */ Z16,
    /* 0x70 */ Z16,
};
/* clang-format on */

static void qci_expect(struct fx *f, unsigned int format, const uint8_t *expected)
{
	struct ap_insn_result res;

	set_format(f, format);
	memset(f->mem + 0x3000, 0xee, 0x100);
	pqap_setup(f, AP_FC_QCI, 0, 0);
	f->regs.gr[1] = 0x1234;
	f->regs.gr[2] = 0x3008;
	res = run(f, AP_OPC_PQAP, 0, 0);
	assert_int_equal(res.pgm, 0);
	assert_int_equal(res.cc, 0);
	assert_int_equal(f->regs.gr[1], 0x1234); /* left untouched */
	assert_int_equal(f->regs.gr[2], 0x3008);
	assert_memory_equal(f->mem + 0x3008, expected, 128);
	assert_int_equal(f->mem[0x3007], 0xee);
	assert_int_equal(f->mem[0x3008 + 128], 0xee);
}

static void test_qci_format2_block_has_apxa_and_only_the_guest_masks(void **state)
{
	qci_expect(*state, CRYCB_FORMAT2, qci_format2);
}

static void test_qci_format1_block_has_no_apxa_and_apcb0_masks(void **state)
{
	qci_expect(*state, CRYCB_FORMAT1, qci_format1);
}

static void test_qci_format0_block_equals_format1(void **state)
{
	qci_expect(*state, CRYCB_FORMAT0, qci_format1);
}

/* ---- TAPQ ---- */

static void test_tapq_empty_queue_answers_e_bit(void **state)
{
	struct fx *f = *state;

	f->regs.gr[2] = 0x1234;
	tapq_expect(f, Q34, 0, ST_E);
	assert_int_equal(f->regs.gr[2], 0x1234); /* no T bit: GR2 untouched */
	tapq_expect(f, Q7020, 0, ST_E);
}

static void test_tapq_t_bit_stores_the_information_word(void **state)
{
	struct fx *f = *state;

	pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, Q34);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	/* MEX4K CRT4K ACCEL APXA full; CEX7 (13); 256 domains -> 255; 2 x 4 KiB; QD 3 */
	assert_int_equal(f->regs.gr[2], 0x6a8000000dff0203ull);
	pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, Q54);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	assert_int_equal(f->regs.gr[2], 0xf28000000cff0307ull);
	pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, Q7020);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	assert_int_equal(f->regs.gr[2], 0x868000000eff0f01ull);
}

/* A described functions word is what TAPQ reports (docs/machine-json.md). */
static void test_tapq_reports_the_described_functions(void **state)
{
	struct fx *f = *state;

	f->sys->hw.adapter[5].functions = 0x92810003u;
	pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, Q54);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	assert_int_equal(f->regs.gr[2] >> 32, 0x92810003u);
}

static void test_tapq_info_word_of_a_host_without_apxa(void **state)
{
	struct ap_system *s = host_new(false, 0);

	(void)state;
	/* no APXA bit, ND = 16 */
	assert_int_equal(ap_tapq_info(s, 3), 0x688000000d100203ull);
	assert_int_equal(ap_tapq_info(s, 5), 0xf08000000c100307ull);
	assert_int_equal(ap_tapq_info(s, 10), 0x688000000b100307ull);
	host_free(s);
}

static void test_tapq_info_nd_is_highest_domain_plus_one(void **state)
{
	struct ap_system *s = host_new(true, 84);

	(void)state;
	assert_int_equal(ap_tapq_info(s, 3) & 0xffffffffu, 0x0d550203u);
	assert_int_equal(ap_tapq_info(s, 200), 0); /* no such adapter */
	assert_int_equal(ap_tapq_info(s, 256), 0);
	host_free(s);
}

static void test_tapq_outside_crycb_answers_rc01(void **state)
{
	static const unsigned int apqns[] = {AP_APQN(10, 4), AP_APQN(3, 5), AP_APQN(3, 30),
					     AP_APQN(10, 30)};
	struct fx *f = *state;

	for (unsigned int i = 0; i < 4; i++) {
		assert_non_null(fx_queue(f, apqns[i], false)); /* the host has it */
		pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, apqns[i]);
		f->regs.gr[2] = 0x1234;
		expect_status(f, AP_OPC_PQAP, 0, 0, 3, RC(0x01));
		assert_int_equal(f->regs.gr[2], 0x1234);
	}
}

static void test_tapq_queue_not_on_host_answers_rc01(void **state)
{
	struct fx *f = *state;

	tapq_expect(f, AP_APQN(9, 4), 3, RC(0x01)); /* adapter 9: CRYCB only */
	tapq_expect(f, AP_APQN(3, 6), 3, RC(0x01)); /* domain 6: CRYCB only */
}

/* A queue whose ring was never laid out is empty; one that cannot get a
 * ring when NQAP needs it is not available. */
static void test_queue_without_ring_is_empty_and_nqap_needs_one(void **state)
{
	struct fx *f = *state;

	f->hidden = Q34;
	tapq_expect(f, Q34, 0, ST_E);
	dqap_setup(f, Q34, 64);
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, ST_E | RC(0x10));
	nqap_expect(f, Q34, 1, 3, RC(0x01));
	assert_int_equal(f->nsubmitted, 0);
	f->env.queue = NULL;
	tapq_expect(f, Q54, 3, RC(0x01));
}

static void test_tapq_without_crycb_answers_rc01(void **state)
{
	struct fx *f = *state;

	f->env.crycb = NULL;
	tapq_expect(f, Q34, 3, RC(0x01));
}

static void test_tapq_deconfigured_adapter_answers_rc03_with_info(void **state)
{
	struct fx *f = *state;

	f->sys->hw.adapter[3].configured = false;
	pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, Q34);
	expect_status(f, AP_OPC_PQAP, 0, 0, 3, RC(0x03));
	assert_int_equal(f->regs.gr[2], 0x6a8000000dff0203ull);
}

static void test_tapq_checkstopped_adapter_answers_rc04_with_info(void **state)
{
	struct fx *f = *state;

	f->sys->hw.adapter[5].chkstop = true;
	pqap_setup(f, AP_FC_TAPQ, AP_GR0_T_BIT, Q54);
	expect_status(f, AP_OPC_PQAP, 0, 0, 3, RC(0x04));
	assert_int_equal(f->regs.gr[2], 0xf28000000cff0307ull);
}

/*
 * Without APXA only APIDs 0-63 and APQIs 0-15 can be named: any other APQN
 * is a specification exception for every instruction that takes one, as
 * KVM's common PQAP checks make it for AQIC (docs/ap-instructions.md).
 */
static void test_format1_guest_apqn_beyond_64_adapters_16_domains_is_specification(void **state)
{
	static const unsigned int fcs[] = {AP_FC_TAPQ, AP_FC_RAPQ, AP_FC_ZAPQ};
	static const unsigned int apqns[] = {Q704, AP_APQN(3, 20), Q7020, AP_APQN(0x40, 0),
					     AP_APQN(0, 0x10)};
	struct fx *f = *state;

	set_format(f, CRYCB_FORMAT1);
	tapq_expect(f, Q34, 0, ST_E);
	for (unsigned int i = 0; i < 5; i++) {
		for (unsigned int j = 0; j < 3; j++) {
			pqap_setup(f, fcs[j], 0, apqns[i]);
			expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
		}
		nqap_setup(f, apqns[i], 1, "request");
		expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_SPECIFICATION);
		dqap_setup(f, apqns[i], 64);
		expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_SPECIFICATION);
	}
	/* in range but not granted: the queue does not exist for the guest */
	tapq_expect(f, AP_APQN(10, 4), 3, RC(0x01));
}

static void test_format2_guest_names_every_apqn(void **state)
{
	struct fx *f = *state;

	tapq_expect(f, Q704, 0, ST_E);
	tapq_expect(f, AP_APQN(0xff, 0xff), 3, RC(0x01));
	nqap_expect(f, Q7020, 1, 0, 0);
}

static void test_format0_guest_reads_apcb0_only(void **state)
{
	struct fx *f = *state;

	f->env.crycbd = 0x00100000u | CRYCB_FORMAT0; /* masks are in APCB1 */
	tapq_expect(f, Q34, 3, RC(0x01));
	set_format(f, CRYCB_FORMAT0);
	tapq_expect(f, Q34, 0, ST_E);
	pqap_setup(f, AP_FC_TAPQ, 0, Q704); /* no APXA in format 0 */
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

/* ---- NQAP ---- */

static void test_nqap_odd_register_is_specification(void **state)
{
	static const uint8_t pairs[][2] = {{R1 + 1, R2}, {R1, R2 + 1}, {15, R2}, {R1, 16}};
	struct fx *f = *state;

	nqap_setup(f, Q34, 1, "request");
	for (unsigned int i = 0; i < 4; i++)
		expect_pgm(f, AP_OPC_NQAP, pairs[i][0], pairs[i][1], AP_PGM_SPECIFICATION);
	assert_int_equal(nreq(f, Q34), 0);
}

static void test_nqap_zero_length_is_specification(void **state)
{
	struct fx *f = *state;

	nqap_setup(f, Q34, 1, "request");
	f->regs.gr[R2 + 1] = 0;
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_SPECIFICATION);
}

static void test_nqap_length_above_ap_msg_max_is_specification(void **state)
{
	struct fx *f = *state;

	nqap_setup(f, Q34, 1, "request");
	f->regs.gr[R2 + 1] = AP_MSG_MAX + 1;
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_SPECIFICATION);
	f->regs.gr[R2 + 1] = 1ull << 63;
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_SPECIFICATION);
}

/* GR0 bits 32, 34, 35 and 40-47 must be zero; 33 (L) and 36-39 pass. */
static void test_nqap_gr0_reserved_bits_are_specification(void **state)
{
	static const unsigned int mbz[] = {32, 34, 35, 40, 41, 42, 43, 44, 45, 46, 47};
	static const unsigned int ok[] = {36, 37, 38, 39};
	struct fx *f = *state;

	for (unsigned int i = 0; i < sizeof(mbz) / sizeof(mbz[0]); i++) {
		nqap_setup(f, Q34, 1, "request");
		f->regs.gr[0] |= 0x80000000u >> (mbz[i] - 32);
		expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_SPECIFICATION);
	}
	assert_int_equal(nreq(f, Q34), 0);
	for (unsigned int i = 0; i < 4; i++) {
		nqap_setup(f, Q34, 1, "request");
		f->regs.gr[0] |= 0x80000000u >> (ok[i] - 32);
		expect_status(f, AP_OPC_NQAP, R1, R2, 0, i == 3 ? ST_F : 0); /* 4 fill it */
	}
	assert_int_equal(nreq(f, Q34), 4);
}

/* Every specification condition comes before the addressing check. */
static void test_nqap_specification_precedes_addressing(void **state)
{
	struct fx *f = *state;

	nqap_setup(f, Q34, 1, "request");
	f->regs.gr[R2] = MEM_SIZE + 0x1000;
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_ADDRESSING);
	f->regs.gr[R2 + 1] = AP_MSG_MAX + 1;
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_SPECIFICATION);
	f->regs.gr[R2 + 1] = 16;
	f->regs.gr[0] |= 0x00800000u; /* bit 40 */
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_SPECIFICATION);
	f->regs.gr[0] = Q34;
	expect_pgm(f, AP_OPC_NQAP, R1 + 1, R2, AP_PGM_SPECIFICATION);
}

static void test_nqap_message_outside_memory_is_addressing(void **state)
{
	struct fx *f = *state;

	nqap_setup(f, Q34, 1, "request");
	f->regs.gr[R2] = MEM_SIZE - 4;
	f->regs.gr[R2 + 1] = 8;
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_ADDRESSING);
	f->regs.gr[R2] = ~0ull - 2; /* wraps around */
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_ADDRESSING);
	/* an unauthorised APQN does not hide the addressing exception */
	f->regs.gr[0] = AP_APQN(10, 4);
	expect_pgm(f, AP_OPC_NQAP, R1, R2, AP_PGM_ADDRESSING);
	assert_int_equal(f->nsubmitted, 0);
}

static void test_nqap_queues_the_message_and_advances_registers(void **state)
{
	struct fx *f = *state;

	nqap_setup(f, Q34, 0, "hello");
	f->regs.gr[R1] = 0xffffffff11223344ull; /* the high half is not part of the PSMID */
	f->regs.gr[R1 + 1] = 0xdeadbeef55667788ull;
	expect_status(f, AP_OPC_NQAP, R1, R2, 0, 0);
	assert_int_equal(f->regs.gr[R2], MSG + 5);
	assert_int_equal(f->regs.gr[R2 + 1], 0);
	assert_int_equal(f->regs.gr[R1], 0xffffffff11223344ull);
	assert_int_equal(f->regs.gr[0], 0x40000000u | Q34);
	assert_int_equal(f->nsubmitted, 1);
	assert_int_equal(f->last_submitted, Q34);
	{
		uint8_t buf[16];
		uint64_t psmid, gen;
		size_t n;

		assert_int_equal(
		    qring_host_take(queue_of(f, Q34), buf, sizeof(buf), &psmid, &n, &gen), 0);
		assert_int_equal(psmid, 0x1122334455667788ull);
		assert_int_equal(n, 5);
		assert_memory_equal(buf, "hello", 5);
	}
}

static void test_nqap_above_adapter_max_msg_size_answers_rc15(void **state)
{
	struct fx *f = *state;

	nqap_setup(f, Q34, 1, "request");
	f->regs.gr[R2 + 1] = 8193; /* adapter 3 takes 8 KiB */
	expect_status(f, AP_OPC_NQAP, R1, R2, 3, ST_E | RC(0x15));
	assert_int_equal(f->regs.gr[R2 + 1], 8193);
	assert_int_equal(f->nsubmitted, 0);
	f->regs.gr[R2 + 1] = 8192;
	expect_status(f, AP_OPC_NQAP, R1, R2, 0, 0);
	/* adapter 70 takes the architectural maximum */
	nqap_setup(f, Q7020, 1, "request");
	f->regs.gr[R2 + 1] = AP_MSG_MAX;
	expect_status(f, AP_OPC_NQAP, R1, R2, 0, 0);
}

static void test_nqap_outside_crycb_answers_rc01(void **state)
{
	struct fx *f = *state;

	nqap_expect(f, AP_APQN(10, 4), 1, 3, RC(0x01));
	nqap_expect(f, AP_APQN(9, 4), 1, 3, RC(0x01));
	assert_int_equal(f->regs.gr[R2], MSG);
	assert_int_equal(f->nsubmitted, 0);
	assert_int_equal(nreq(f, AP_APQN(10, 4)), 0);
}

static void test_nqap_fills_the_queue_to_depth_plus_one_then_answers_rc10(void **state)
{
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	nqap_expect(f, Q34, 2, 0, 0);
	nqap_expect(f, Q34, 3, 0, 0);
	nqap_expect(f, Q34, 4, 0, ST_F);
	nqap_expect(f, Q34, 5, 3, ST_F | RC(0x10));
	assert_int_equal(f->regs.gr[R2], MSG); /* not consumed */
	assert_int_equal(f->regs.gr[R2 + 1], 7);
	assert_int_equal(nreq(f, Q34), 4);
	assert_int_equal(f->nsubmitted, 4);
	/* a queue of depth 1 takes two */
	nqap_expect(f, Q7020, 1, 0, 0);
	nqap_expect(f, Q7020, 2, 0, ST_F);
	nqap_expect(f, Q7020, 3, 3, ST_F | RC(0x10));
}

/* ---- DQAP ---- */

static void test_dqap_odd_register_is_specification(void **state)
{
	static const uint8_t pairs[][2] = {{R1 + 1, R2}, {R1, R2 + 1}, {15, R2}, {16, R2}};
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	execute_all(f, Q34);
	dqap_setup(f, Q34, 64);
	for (unsigned int i = 0; i < 4; i++)
		expect_pgm(f, AP_OPC_DQAP, pairs[i][0], pairs[i][1], AP_PGM_SPECIFICATION);
	assert_int_equal(nrep(f, Q34), 1);
}

static void test_dqap_buffer_outside_memory_is_addressing(void **state)
{
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	execute_all(f, Q34);
	dqap_setup(f, Q34, 64);
	f->regs.gr[R2] = MEM_SIZE - 32;
	expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_ADDRESSING);
	f->regs.gr[R2] = ~0ull - 8;
	expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_ADDRESSING);
	assert_int_equal(nrep(f, Q34), 1);
	assert_int_equal(qring_slot(queue_of(f, Q34)->r, &queue_of(f, Q34)->g, 0)->taken, 0);
}

/* GR0 bits 33-35 and 40-47 must be zero; 32 (Linux's) and 36-39 pass. */
static void test_dqap_gr0_reserved_bits_are_specification(void **state)
{
	static const unsigned int mbz[] = {33, 34, 35, 40, 41, 42, 43, 44, 45, 46, 47};
	static const unsigned int ok[] = {36, 37, 38, 39};
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	execute_all(f, Q34);
	for (unsigned int i = 0; i < sizeof(mbz) / sizeof(mbz[0]); i++) {
		dqap_setup(f, Q34, 64);
		f->regs.gr[0] |= 0x80000000u >> (mbz[i] - 32);
		expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_SPECIFICATION);
	}
	assert_int_equal(nrep(f, Q34), 1);
	for (unsigned int i = 0; i < 4; i++) {
		dqap_setup(f, Q34, 64);
		f->regs.gr[0] = Q34 | 0x80000000u >> (ok[i] - 32);
		expect_status(f, AP_OPC_DQAP, R1, R2, i ? 3 : 0, i ? ST_E | RC(0x10) : ST_E);
	}
}

static void test_dqap_zero_length_is_specification(void **state)
{
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	execute_all(f, Q34);
	dqap_setup(f, Q34, 0);
	expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_SPECIFICATION);
	assert_int_equal(nrep(f, Q34), 1);
}

/* A length of 1 MiB or more is a specification exception, and that comes
 * before the addressing exception its buffer would give. */
static void test_dqap_length_of_1mib_or_more_is_specification_before_addressing(void **state)
{
	static const uint64_t bad[] = {1ull << 20, (1ull << 20) + 1, 1ull << 32, ~0ull};
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	execute_all(f, Q34);
	for (unsigned int i = 0; i < 4; i++) {
		dqap_setup(f, Q34, bad[i]);
		expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_SPECIFICATION);
	}
	dqap_setup(f, Q34, (1ull << 20) - 1);
	expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_ADDRESSING);
	dqap_setup(f, Q34, 64);
	f->regs.gr[0] |= 0x40000000u; /* bit 33 */
	f->regs.gr[R2] = MEM_SIZE;
	expect_pgm(f, AP_OPC_DQAP, R1, R2, AP_PGM_SPECIFICATION);
	assert_int_equal(nrep(f, Q34), 1);
}

static void test_dqap_in_problem_state_is_privileged_operation(void **state)
{
	struct fx *f = *state;

	f->env.problem_state = true;
	dqap_setup(f, Q34, 0);
	expect_pgm(f, AP_OPC_DQAP, R1 + 1, R2, AP_PGM_PRIVILEGED);
	f->cpu.ap = false;
	expect_pgm(f, AP_OPC_DQAP, R1 + 1, R2, AP_PGM_OPERATION);
}

static void test_dqap_without_reply_answers_rc10_with_e_bit(void **state)
{
	struct fx *f = *state;

	dqap_setup(f, Q34, 64);
	f->regs.gr[2] = 0x1234;
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, ST_E | RC(0x10));
	assert_int_equal(f->regs.gr[2], 0x1234);
	assert_int_equal(f->regs.gr[R1], 0xeeee);
	assert_int_equal(f->regs.gr[R2], BUF);
	assert_int_equal(f->regs.gr[R2 + 1], 64);
}

static void test_dqap_while_requests_run_answers_rc10_without_e_bit(void **state)
{
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	dqap_setup(f, Q34, 64);
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, RC(0x10));
}

static void test_dqap_outside_crycb_answers_rc01(void **state)
{
	struct fx *f = *state;

	dqap_setup(f, AP_APQN(3, 5), 64);
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, RC(0x01));
}

static void dqap_expect_reply(struct fx *f, unsigned int apqn, uint64_t psmid, const char *text,
			      uint32_t status)
{
	size_t len = strlen(text);

	dqap_setup(f, apqn, 256);
	expect_status(f, AP_OPC_DQAP, R1, R2, 0, status);
	assert_int_equal(f->regs.gr[R1], psmid >> 32);
	assert_int_equal(f->regs.gr[R1 + 1], psmid & 0xffffffffu);
	assert_int_equal(f->regs.gr[R2], BUF + len);
	assert_int_equal(f->regs.gr[R2 + 1], 256 - len);
	assert_int_equal(f->regs.gr[2], 0);
	assert_memory_equal(f->mem + BUF, text, len);
}

static void test_dqap_returns_replies_in_order_with_their_psmids(void **state)
{
	struct fx *f = *state;

	nqap_setup(f, Q54, 0x0000000100000001ull, "one");
	expect_status(f, AP_OPC_NQAP, R1, R2, 0, 0);
	nqap_setup(f, Q54, 0xabcdef0012345678ull, "two");
	expect_status(f, AP_OPC_NQAP, R1, R2, 0, 0);
	nqap_setup(f, Q54, 0x00000000ffffffffull, "three");
	expect_status(f, AP_OPC_NQAP, R1, R2, 0, 0);
	execute_all(f, Q54);
	dqap_expect_reply(f, Q54, 0x0000000100000001ull, "re:one", ST_R);
	dqap_expect_reply(f, Q54, 0xabcdef0012345678ull, "re:two", ST_R);
	dqap_expect_reply(f, Q54, 0x00000000ffffffffull, "re:three", ST_E);
}

static void test_status_bits_through_a_sequence(void **state)
{
	struct fx *f = *state;
	struct qring_host *q = queue_of(f, Q34);

	tapq_expect(f, Q34, 0, ST_E);
	for (uint64_t i = 1; i <= 4; i++)
		nqap_expect(f, Q34, i, 0, i < 4 ? 0 : ST_F);
	tapq_expect(f, Q34, 0, ST_F);
	nqap_expect(f, Q34, 5, 3, ST_F | RC(0x10));
	complete(q, "re:1", 4);
	complete(q, "re:2", 4);
	tapq_expect(f, Q34, 0, ST_R | ST_F); /* replies count against the depth */
	dqap_expect_reply(f, Q34, 1, "re:1", ST_R);
	dqap_expect_reply(f, Q34, 2, "re:2", 0);
	dqap_setup(f, Q34, 64);
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, RC(0x10));
	nqap_expect(f, Q34, 6, 0, 0);
	execute_all(f, Q34);
	tapq_expect(f, Q34, 0, ST_R);
	dqap_expect_reply(f, Q34, 3, "re:request", ST_R);
	dqap_expect_reply(f, Q34, 4, "re:request", ST_R);
	dqap_expect_reply(f, Q34, 6, "re:request", ST_E);
	tapq_expect(f, Q34, 0, ST_E);
}

static void test_partial_dqap_with_a_small_buffer_then_the_rest(void **state)
{
	struct fx *f = *state;
	struct qring_host *q = queue_of(f, Q34);

	nqap_expect(f, Q34, 0x1122334455667788ull, 0, 0);
	complete(q, "abcdefghij", 10);
	dqap_setup(f, Q34, 4);
	expect_status(f, AP_OPC_DQAP, R1, R2, 0, ST_R);
	assert_memory_equal(f->mem + BUF, "abcd", 4);
	assert_int_equal(f->regs.gr[R2], BUF + 4);
	assert_int_equal(f->regs.gr[R2 + 1], 0);
	assert_int_equal(f->regs.gr[2], 6);
	assert_int_equal(f->regs.gr[R1], 0xeeee); /* PSMID not yet stored */
	assert_int_equal(f->regs.gr[R1 + 1], 0xeeee);
	/* the guest re-issues with a fresh 4-byte buffer */
	f->regs.gr[R2 + 1] = 4;
	expect_status(f, AP_OPC_DQAP, R1, R2, 0, ST_R);
	assert_memory_equal(f->mem + BUF, "abcdefgh", 8);
	assert_int_equal(f->regs.gr[2], 2);
	assert_int_equal(f->regs.gr[R1], 0xeeee);
	/* and then with plenty of room */
	f->regs.gr[R2 + 1] = 100;
	expect_status(f, AP_OPC_DQAP, R1, R2, 0, ST_E);
	assert_memory_equal(f->mem + BUF, "abcdefghij", 10);
	assert_int_equal(f->regs.gr[R2], BUF + 10);
	assert_int_equal(f->regs.gr[R2 + 1], 98);
	assert_int_equal(f->regs.gr[2], 0);
	assert_int_equal(f->regs.gr[R1], 0x11223344u);
	assert_int_equal(f->regs.gr[R1 + 1], 0x55667788u);
}

/* ---- RAPQ, ZAPQ ---- */

static void fill_requests_and_replies(struct fx *f)
{
	nqap_expect(f, Q34, 1, 0, 0);
	nqap_expect(f, Q34, 2, 0, 0);
	execute_all(f, Q34);
	nqap_expect(f, Q34, 3, 0, ST_R);
	qring_host_set_irq(queue_of(f, Q34), true, 0, NIB);
	tapq_expect(f, Q34, 0, ST_R | ST_I);
}

static void test_rapq_discards_requests_and_replies(void **state)
{
	struct fx *f = *state;
	struct qring_host *q = queue_of(f, Q34);

	fill_requests_and_replies(f);
	pqap_setup(f, AP_FC_RAPQ, 0, Q34);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	assert_int_equal(nreq(f, Q34), 0);
	assert_int_equal(nrep(f, Q34), 0);
	assert_false(q->irq);
	dqap_setup(f, Q34, 64);
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, ST_E | RC(0x10));
	tapq_expect(f, Q34, 0, ST_E);
}

static void test_zapq_discards_and_disables_interruptions(void **state)
{
	struct fx *f = *state;
	struct qring_host *q = queue_of(f, Q34);

	fill_requests_and_replies(f);
	pqap_setup(f, AP_FC_ZAPQ, 0, Q34);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	assert_int_equal(nreq(f, Q34), 0);
	assert_int_equal(nrep(f, Q34), 0);
	assert_false(q->irq);
	dqap_setup(f, Q34, 64);
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, ST_E | RC(0x10));
	/* the queue takes depth + 1 requests again */
	for (uint64_t i = 1; i <= 4; i++)
		nqap_expect(f, Q34, i, 0, i < 4 ? 0 : ST_F);
}

/* ---- injected faults and the reset hook ---- */

static unsigned int fault_left;
static unsigned int resets_seen, last_reset_apqn;
static bool last_reset_had_ring;

static uint8_t fx_fault(void *ctx, unsigned int apqn)
{
	(void)ctx;
	if (apqn != Q34 || !fault_left)
		return 0;
	fault_left--;
	return AP_RC_BUSY;
}

static void fx_reset(void *ctx, unsigned int apqn, struct qring_host *q)
{
	(void)ctx;
	resets_seen++;
	last_reset_apqn = apqn;
	last_reset_had_ring = q != NULL;
	if (q)
		qring_host_reset(q);
}

/* A fault answers before the queue is reached: nothing queued or dequeued,
 * no status bits; an APQN outside the CRYCB still answers rc 0x01. */
static void test_injected_fault_answers_before_the_queue(void **state)
{
	struct fx *f = *state;

	f->env.fault = fx_fault;
	fault_left = 3;
	tapq_expect(f, Q34, 3, RC(0x05));
	nqap_expect(f, Q34, 1, 3, RC(0x05));
	assert_int_equal(f->nsubmitted, 0);
	dqap_setup(f, Q34, 64);
	expect_status(f, AP_OPC_DQAP, R1, R2, 3, RC(0x05));
	tapq_expect(f, AP_APQN(9, 4), 3, RC(0x01));
	tapq_expect(f, Q34, 0, ST_E);
	assert_int_equal(nreq(f, Q34), 0);
}

/* RAPQ/ZAPQ go through the reset hook, with or without a ring. */
static void test_reset_hook_sees_every_reset(void **state)
{
	struct fx *f = *state;

	f->env.reset = fx_reset;
	resets_seen = 0;
	nqap_expect(f, Q34, 1, 0, 0);
	pqap_setup(f, AP_FC_ZAPQ, 0, Q34);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	assert_int_equal(resets_seen, 1);
	assert_int_equal(last_reset_apqn, Q34);
	assert_true(last_reset_had_ring);
	assert_int_equal(nreq(f, Q34), 0);
	f->hidden = Q54;
	pqap_setup(f, AP_FC_RAPQ, 0, Q54);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E);
	assert_int_equal(resets_seen, 2);
	assert_int_equal(last_reset_apqn, Q54);
	assert_false(last_reset_had_ring);
}

static void test_rapq_outside_crycb_answers_rc01(void **state)
{
	struct fx *f = *state;

	nqap_expect(f, AP_APQN(3, 4), 1, 0, 0);
	pqap_setup(f, AP_FC_RAPQ, 0, AP_APQN(10, 4));
	expect_status(f, AP_OPC_PQAP, 0, 0, 3, RC(0x01));
	pqap_setup(f, AP_FC_ZAPQ, 0, AP_APQN(3, 6));
	expect_status(f, AP_OPC_PQAP, 0, 0, 3, RC(0x01));
	assert_int_equal(nreq(f, Q34), 1);
}

static void test_adapter_state_answers_rc03_and_rc04_everywhere(void **state)
{
	static const unsigned int fcs[] = {AP_FC_TAPQ, AP_FC_RAPQ, AP_FC_ZAPQ, AP_FC_AQIC};
	struct fx *f = *state;

	nqap_expect(f, Q34, 1, 0, 0);
	for (int chk = 0; chk < 2; chk++) {
		uint32_t rc = chk ? RC(0x04) : RC(0x03);

		f->sys->hw.adapter[3].configured = chk;
		f->sys->hw.adapter[3].chkstop = chk;
		for (unsigned int i = 0; i < 4; i++) {
			pqap_setup(f, fcs[i], 0, Q34);
			f->regs.gr[2] = NIB;
			expect_status(f, AP_OPC_PQAP, 0, 0, 3, rc);
		}
		nqap_expect(f, Q34, 2, 3, rc);
		dqap_setup(f, Q34, 64);
		expect_status(f, AP_OPC_DQAP, R1, R2, 3, rc);
	}
	assert_int_equal(nreq(f, Q34), 1); /* RAPQ did not reach it */
	assert_int_equal(f->nsubmitted, 1);
}

/* ---- AQIC (KVM's interception, facts 7.7) ---- */

static void aqic_setup(struct fx *f, uint32_t bits, unsigned int apqn, bool enable,
		       unsigned int isc, uint64_t nib)
{
	pqap_setup(f, AP_FC_AQIC, bits, apqn);
	f->regs.gr[1] = (enable ? AQIC_IR : 0) | isc;
	f->regs.gr[2] = nib;
}

static void aqic_expect(struct fx *f, unsigned int apqn, bool enable, uint64_t nib, int cc,
			uint32_t status)
{
	struct ap_insn_result res;

	aqic_setup(f, 0, apqn, enable, 5, nib);
	res = run(f, AP_OPC_PQAP, 0, 0);
	assert_int_equal(res.pgm, 0);
	assert_int_equal(res.cc, cc);
	assert_int_equal(f->regs.gr[1], (uint64_t)status);
	assert_int_equal(f->regs.gr[2], nib);
}

static void test_aqic_enable_turns_interruptions_on(void **state)
{
	struct fx *f = *state;
	struct qring_host *q = queue_of(f, Q34);

	aqic_expect(f, Q34, true, NIB, 0, ST_E | ST_I);
	assert_true(q->irq);
	assert_int_equal(q->isc, 5);
	assert_int_equal(q->nib, NIB);
	tapq_expect(f, Q34, 0, ST_E | ST_I);
	aqic_expect(f, Q54, true, MEM_SIZE - 1, 0, ST_E | ST_I); /* last byte of memory */
}

static void test_aqic_enable_twice_answers_rc07(void **state)
{
	struct fx *f = *state;

	aqic_expect(f, Q34, true, NIB, 0, ST_E | ST_I);
	aqic_expect(f, Q34, true, NIB + 8, 3, ST_E | ST_I | RC(0x07));
	assert_int_equal(queue_of(f, Q34)->nib, NIB);
}

static void test_aqic_enable_with_nib_outside_memory_answers_rc06(void **state)
{
	struct fx *f = *state;

	aqic_expect(f, Q34, true, MEM_SIZE, 3, ST_E | RC(0x06));
	aqic_expect(f, Q34, true, ~0ull, 3, ST_E | RC(0x06));
	aqic_expect(f, Q34, true, 0, 3, ST_E | RC(0x06)); /* vfio_ap refuses address 0 */
	assert_false(queue_of(f, Q34)->irq);
}

static void test_aqic_disable_turns_interruptions_off(void **state)
{
	struct fx *f = *state;

	aqic_expect(f, Q34, true, NIB, 0, ST_E | ST_I);
	aqic_expect(f, Q34, false, 0, 0, ST_E);
	assert_false(queue_of(f, Q34)->irq);
	tapq_expect(f, Q34, 0, ST_E);
}

static void test_aqic_disable_when_off_answers_rc07(void **state)
{
	struct fx *f = *state;

	aqic_expect(f, Q34, false, 0, 3, ST_E | RC(0x07));
}

static void test_aqic_without_hook_answers_rc01(void **state)
{
	struct fx *f = *state;

	f->env.aqic_hook = false;
	aqic_expect(f, Q34, true, NIB, 3, RC(0x01));
	aqic_expect(f, AP_APQN(10, 4), true, NIB, 3, RC(0x01));
	assert_false(queue_of(f, Q34)->irq);
}

static void test_aqic_outside_crycb_answers_rc01(void **state)
{
	struct fx *f = *state;

	aqic_expect(f, AP_APQN(10, 4), true, NIB, 3, RC(0x01));
	aqic_expect(f, AP_APQN(9, 4), true, NIB, 3, RC(0x01));
	f->hidden = Q34;
	aqic_expect(f, Q34, true, NIB, 3, RC(0x01));
	assert_false(queue_of(f, AP_APQN(10, 4))->irq);
}

static void test_aqic_bits_41_to_47_are_specification(void **state)
{
	struct fx *f = *state;

	for (unsigned int bit = 41; bit <= 47; bit++) {
		aqic_setup(f, 0x80000000u >> (bit - 32), Q34, true, 0, NIB);
		expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	}
	f->env.aqic_hook = false; /* checked before the hook */
	aqic_setup(f, AP_GR0_F_BIT, Q34, true, 0, NIB);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_aqic_t_bit_without_apft_is_specification(void **state)
{
	struct fx *f = *state;

	f->cpu.apft = false;
	aqic_setup(f, AP_GR0_T_BIT, Q34, true, 0, NIB);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_aqic_t_bit_with_apft_passes_as_in_kvm(void **state)
{
	struct fx *f = *state;

	aqic_setup(f, AP_GR0_T_BIT, Q34, true, 0, NIB);
	expect_status(f, AP_OPC_PQAP, 0, 0, 0, ST_E | ST_I);
}

static void test_aqic_format1_apid_above_63_is_specification(void **state)
{
	struct fx *f = *state;

	set_format(f, CRYCB_FORMAT1);
	aqic_setup(f, 0, Q704, true, 0, NIB);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	f->env.aqic_hook = false;
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_aqic_format1_apqi_above_15_is_specification(void **state)
{
	struct fx *f = *state;

	set_format(f, CRYCB_FORMAT0);
	aqic_setup(f, 0, AP_APQN(3, 20), true, 0, NIB);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
	set_format(f, CRYCB_FORMAT1);
	aqic_expect(f, Q34, true, NIB, 0, ST_E | ST_I); /* inside the limits it works */
}

static void test_aqic_format2_reaches_high_apids_and_apqis(void **state)
{
	struct fx *f = *state;

	aqic_expect(f, Q7020, true, NIB, 0, ST_E | ST_I);
	aqic_expect(f, AP_APQN(70, 30), true, NIB, 3, RC(0x01)); /* not the guest's */
}

static void test_aqic_without_apqi_facility_is_specification(void **state)
{
	struct fx *f = *state;

	f->cpu.apqi = false;
	f->env.aqic_hook = false; /* the facility is checked before the hook */
	aqic_setup(f, 0, Q34, true, 0, NIB);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_SPECIFICATION);
}

static void test_aqic_in_problem_state_is_privileged_operation(void **state)
{
	struct fx *f = *state;

	f->env.problem_state = true;
	f->cpu.apqi = false;
	aqic_setup(f, AP_GR0_F_BIT, Q704, true, 0, NIB);
	expect_pgm(f, AP_OPC_PQAP, 0, 0, AP_PGM_PRIVILEGED);
}

/* Every test twice: against the system itself, then against a snapshot of it. */
#define T(name)                                                                                    \
	cmocka_unit_test_setup_teardown(name, setup, teardown),                                    \
	{                                                                                          \
#name "_snap", name, setup_snap, teardown, NULL                                    \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_no_ap_instructions_is_operation_exception),
	    T(test_operation_exception_precedes_privileged_operation),
	    T(test_unknown_opcode_is_operation_exception),
	    T(test_problem_state_is_privileged_operation),
	    T(test_privileged_operation_precedes_specification),
	    T(test_pqap_unknown_function_code_is_specification),
	    T(test_pqap_reserved_bits_are_specification),
	    T(test_tapq_t_bit_without_apft_is_specification),
	    T(test_tapq_f_bit_is_specification),
	    T(test_rapq_and_zapq_t_bit_is_specification),
	    T(test_rapq_and_zapq_accept_the_f_bit),
	    T(test_qci_without_apqci_is_specification),
	    T(test_qci_t_or_f_bit_is_specification),
	    T(test_qci_unaligned_block_is_specification),
	    T(test_qci_block_outside_memory_is_addressing),
	    T(test_qci_format2_block_has_apxa_and_only_the_guest_masks),
	    T(test_qci_format1_block_has_no_apxa_and_apcb0_masks),
	    T(test_qci_format0_block_equals_format1),
	    T(test_tapq_empty_queue_answers_e_bit),
	    T(test_tapq_t_bit_stores_the_information_word),
	    T(test_tapq_reports_the_described_functions),
	    T(test_tapq_info_word_of_a_host_without_apxa),
	    T(test_tapq_info_nd_is_highest_domain_plus_one),
	    T(test_tapq_outside_crycb_answers_rc01),
	    T(test_tapq_queue_not_on_host_answers_rc01),
	    T(test_queue_without_ring_is_empty_and_nqap_needs_one),
	    T(test_tapq_without_crycb_answers_rc01),
	    T(test_tapq_deconfigured_adapter_answers_rc03_with_info),
	    T(test_tapq_checkstopped_adapter_answers_rc04_with_info),
	    T(test_format1_guest_apqn_beyond_64_adapters_16_domains_is_specification),
	    T(test_format2_guest_names_every_apqn),
	    T(test_format0_guest_reads_apcb0_only),
	    T(test_nqap_odd_register_is_specification),
	    T(test_nqap_zero_length_is_specification),
	    T(test_nqap_length_above_ap_msg_max_is_specification),
	    T(test_nqap_gr0_reserved_bits_are_specification),
	    T(test_nqap_specification_precedes_addressing),
	    T(test_nqap_message_outside_memory_is_addressing),
	    T(test_nqap_queues_the_message_and_advances_registers),
	    T(test_nqap_above_adapter_max_msg_size_answers_rc15),
	    T(test_nqap_outside_crycb_answers_rc01),
	    T(test_nqap_fills_the_queue_to_depth_plus_one_then_answers_rc10),
	    T(test_dqap_odd_register_is_specification),
	    T(test_dqap_buffer_outside_memory_is_addressing),
	    T(test_dqap_gr0_reserved_bits_are_specification),
	    T(test_dqap_zero_length_is_specification),
	    T(test_dqap_length_of_1mib_or_more_is_specification_before_addressing),
	    T(test_dqap_in_problem_state_is_privileged_operation),
	    T(test_dqap_without_reply_answers_rc10_with_e_bit),
	    T(test_dqap_while_requests_run_answers_rc10_without_e_bit),
	    T(test_dqap_outside_crycb_answers_rc01),
	    T(test_dqap_returns_replies_in_order_with_their_psmids),
	    T(test_status_bits_through_a_sequence),
	    T(test_partial_dqap_with_a_small_buffer_then_the_rest),
	    T(test_rapq_discards_requests_and_replies),
	    T(test_zapq_discards_and_disables_interruptions),
	    T(test_rapq_outside_crycb_answers_rc01),
	    T(test_injected_fault_answers_before_the_queue),
	    T(test_reset_hook_sees_every_reset),
	    T(test_adapter_state_answers_rc03_and_rc04_everywhere),
	    T(test_aqic_enable_turns_interruptions_on),
	    T(test_aqic_enable_twice_answers_rc07),
	    T(test_aqic_enable_with_nib_outside_memory_answers_rc06),
	    T(test_aqic_disable_turns_interruptions_off),
	    T(test_aqic_disable_when_off_answers_rc07),
	    T(test_aqic_without_hook_answers_rc01),
	    T(test_aqic_outside_crycb_answers_rc01),
	    T(test_aqic_bits_41_to_47_are_specification),
	    T(test_aqic_t_bit_without_apft_is_specification),
	    T(test_aqic_t_bit_with_apft_passes_as_in_kvm),
	    T(test_aqic_format1_apid_above_63_is_specification),
	    T(test_aqic_format1_apqi_above_15_is_specification),
	    T(test_aqic_format2_reaches_high_apids_and_apqis),
	    T(test_aqic_without_apqi_facility_is_specification),
	    T(test_aqic_in_problem_state_is_privileged_operation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
