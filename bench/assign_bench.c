/*
 * assign_bench - what an assignment costs with 1 mdev and with 65536 mdevs.
 *
 * DESIGN.md principle 4: checking an assignment against the other mediated
 * devices must cost the same whatever their number (the core keeps an owner
 * index per APQN). This measures assign_adapter + unassign_adapter and
 * assign_domain + unassign_domain through the text stores (matrix_assign /
 * matrix_unassign with "0x10") on a 256 x 256 machine whose queues are all
 * bound to vfio_ap, (a) with the measured mdev alone and (b) with 65536 mdevs
 * (the instance limit), each holding its own disjoint part of the matrix. The
 * goal is (b)/(a) <= 1.10. Beside it runs a naive kernel-style assignment
 * (vfio_ap_mdev_verify_no_sharing: walk every other mdev and test
 * APM∩APM' and AQM∩AQM') over the same layout, for contrast.
 *
 * Times are CLOCK_MONOTONIC; each figure is the median of REPS repetitions,
 * after a warm-up, the cases interleaved so that drift hits them alike.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "machine.h"
#include "mask.h"
#include "matrix.h"
#include "parse.h"
#include "system.h"

#define N_MDEVS	 65536u
#define MEASURED 0x10 /* the id assigned and unassigned: "0x10" */
#define OWN	 0x20 /* the measured mdev keeps adapter 0x20 and domain 0x20 */
#define REPS	 9
#define REP_NS	 20e6 /* aim for 20 ms per repetition */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int r)
{
	fprintf(stderr, "assign_bench: %s: %s\n", what, strerror(-r));
	exit(1);
}

/* ---- the machine and the core's systems ---- */

static void build_machine(struct ap_machine *hw)
{
	struct ap_machine_info info = {
	    .qci = true,
	    .apft = true,
	    .aqic = true,
	    .apxa = true,
	    .na = 255,
	    .nd = 255,
	};
	int r;

	ap_mask_fill(&info.usage_domains, 255);
	ap_mask_fill(&info.control_domains, 255);
	r = machine_init(hw, &info);
	if (r < 0)
		die("machine_init", r);
	for (unsigned int id = 0; id < AP_DEVICES; id++) {
		struct ap_adapter_desc d = {
		    .id = id,
		    .gen = 8,
		    .mode = AP_MODE_ACCEL,
		    .depth = -1,
		    .max_msg_size = -1,
		};

		r = machine_add_adapter(hw, &d);
		if (r < 0)
			die("machine_add_adapter", r);
	}
}

/* apmask = aqmask = 0: every queue is free for vfio_ap and bound to it. */
static struct ap_system *new_system(const struct ap_machine *hw)
{
	struct ap_system *s = calloc(1, sizeof(*s));
	struct ap_mask zero;
	int r;

	if (!s)
		die("calloc", -ENOMEM);
	ap_mask_zero(&zero);
	r = ap_system_init(s, AP_ABI_CUR, hw, &zero, &zero, -1, 0);
	if (r < 0)
		die("ap_system_init", r);
	return s;
}

static void uuid_text(uint32_t i, char out[AP_UUID_STR_LEN + 2])
{
	uint8_t u[AP_UUID_LEN] = {0xa9, 0xe5, 0x1c, 0x00, 0x00, 0x00, 0x40, 0x00,
				  0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

	u[12] = (uint8_t)(i >> 24);
	u[13] = (uint8_t)(i >> 16);
	u[14] = (uint8_t)(i >> 8);
	u[15] = (uint8_t)i;
	ap_uuid_format(u, out);
	strcat(out, "\n");
}

static struct ap_mdev *create(struct ap_system *s, uint32_t i)
{
	char text[AP_UUID_STR_LEN + 2];
	struct ap_mdev *m = NULL;
	int r;

	uuid_text(i, text);
	r = matrix_create(s, text, strlen(text), &m);
	if (r < 0)
		die("matrix_create", r);
	return m;
}

static void assign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, unsigned int id)
{
	int r = matrix_assign_id(s, m, kind, id);

	if (r < 0)
		die("matrix_assign_id", r);
}

/*
 * The layout of case (b): mdev 0 is the measured one (adapter and domain
 * OWN); 254 x 254 mdevs hold one APQN each outside the rows and columns
 * MEASURED and OWN; the rest hold one adapter each and no domain.
 */
static bool layout_apqn(uint32_t i, unsigned int *a, unsigned int *d)
{
	static unsigned int ids[254];
	static bool init;

	if (!init) {
		unsigned int n = 0;

		for (unsigned int x = 0; x < 256; x++)
			if (x != MEASURED && x != OWN)
				ids[n++] = x;
		init = true;
	}
	if (i == 0 || i > 254 * 254)
		return false;
	*a = ids[(i - 1) / 254];
	*d = ids[(i - 1) % 254];
	return true;
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* ---- the naive kernel-style matrix driver ---- */

struct naive_mdev {
	struct naive_mdev *next;
	uint64_t apm[4], aqm[4], adm[4];
	uint64_t shadow_apm[4], shadow_aqm[4];
};

struct naive {
	struct naive_mdev *head; /* the kernel's mdev_list */
	uint64_t apmask[4], aqmask[4], host_apm[4], host_aqm[4];
	uint8_t bound[AP_APQNS]; /* queue bound to vfio_ap */
};

/* MSB-0 like the kernel's *_inv bit helpers on s390. */
static bool bit_test(const uint64_t *m, unsigned int n)
{
	return (m[n / 64] >> (63 - n % 64)) & 1;
}

static void bit_set(uint64_t *m, unsigned int n)
{
	m[n / 64] |= 1ull << (63 - n % 64);
}

static void bit_clear(uint64_t *m, unsigned int n)
{
	m[n / 64] &= ~(1ull << (63 - n % 64));
}

/* bitmap_and() != 0 */
static bool bitmap_intersects(const uint64_t *a, const uint64_t *b)
{
	return (a[0] & b[0]) | (a[1] & b[1]) | (a[2] & b[2]) | (a[3] & b[3]);
}

static struct naive *naive_new(void)
{
	struct naive *n = calloc(1, sizeof(*n));

	if (!n)
		die("calloc", -ENOMEM);
	memset(n->host_apm, 0xff, sizeof(n->host_apm));
	memset(n->host_aqm, 0xff, sizeof(n->host_aqm));
	memset(n->bound, 1, sizeof(n->bound));
	return n;
}

static struct naive_mdev *naive_create(struct naive *n)
{
	struct naive_mdev *m = calloc(1, sizeof(*m));

	if (!m)
		die("calloc", -ENOMEM);
	m->next = n->head; /* list_add */
	n->head = m;
	return m;
}

static void naive_free(struct naive *n)
{
	while (n->head) {
		struct naive_mdev *m = n->head;

		n->head = m->next;
		free(m);
	}
	free(n);
}

/* vfio_ap_mdev_filter_matrix: host ids, then drop adapters with an unbound queue. */
static void naive_filter(const struct naive *n, struct naive_mdev *m)
{
	for (int i = 0; i < 4; i++) {
		m->shadow_apm[i] = m->apm[i] & n->host_apm[i];
		m->shadow_aqm[i] = m->aqm[i] & n->host_aqm[i];
	}
	for (unsigned int a = 0; a < AP_DEVICES; a++) {
		if (!bit_test(m->shadow_apm, a))
			continue;
		for (unsigned int d = 0; d < AP_DOMAINS; d++) {
			if (bit_test(m->shadow_aqm, d) && !n->bound[AP_APQN(a, d)]) {
				bit_clear(m->shadow_apm, a);
				break;
			}
		}
	}
}

/* assign_adapter_store / assign_domain_store, the kernel's way. */
static int naive_assign(struct naive *n, struct naive_mdev *m, enum ap_kind kind, const char *buf,
			size_t len)
{
	uint64_t *mine = kind == AP_KIND_ADAPTER ? m->apm : m->aqm;
	unsigned long id;
	int r = ap_parse_ulong(buf, len, &id);

	if (r < 0)
		return r;
	if (id > 255)
		return -ENODEV;
	if (bit_test(mine, (unsigned int)id))
		return 0;
	bit_set(mine, (unsigned int)id);
	if (bitmap_intersects(m->apm, n->apmask) && bitmap_intersects(m->aqm, n->aqmask)) {
		bit_clear(mine, (unsigned int)id);
		return -EADDRNOTAVAIL;
	}
	/* vfio_ap_mdev_verify_no_sharing */
	for (const struct naive_mdev *o = n->head; o; o = o->next) {
		if (o == m)
			continue;
		if (bitmap_intersects(o->apm, m->apm) && bitmap_intersects(o->aqm, m->aqm)) {
			bit_clear(mine, (unsigned int)id);
			return -EADDRINUSE;
		}
	}
	naive_filter(n, m);
	return 0;
}

static int naive_unassign(struct naive_mdev *m, enum ap_kind kind, const char *buf, size_t len)
{
	unsigned long id;
	int r = ap_parse_ulong(buf, len, &id);

	if (r < 0)
		return r;
	if (id > 255)
		return -ENODEV;
	bit_clear(kind == AP_KIND_ADAPTER ? m->apm : m->aqm, (unsigned int)id);
	bit_clear(kind == AP_KIND_ADAPTER ? m->shadow_apm : m->shadow_aqm, (unsigned int)id);
	return 0;
}

/* ---- one case: an implementation, a population, an operation ---- */

struct bench_case {
	enum ap_kind kind;
	/* the core */
	struct ap_system *s;
	struct ap_mdev *m;
	/* or the naive driver */
	struct naive *n;
	struct naive_mdev *nm;
};

static const char text[] = "0x10";

/* iters assign + unassign pairs; returns ns per pair */
static double run_pairs(const struct bench_case *c, long iters)
{
	size_t len = sizeof(text) - 1;
	double t0 = now_ns();
	int r = 0;

	for (long i = 0; i < iters; i++) {
		if (c->s) {
			r |= matrix_assign(c->s, c->m, c->kind, text, len);
			r |= matrix_unassign(c->s, c->m, c->kind, text, len);
		} else {
			r |= naive_assign(c->n, c->nm, c->kind, text, len);
			r |= naive_unassign(c->nm, c->kind, text, len);
		}
	}
	if (r)
		die("assign/unassign \"0x10\"", -EINVAL);
	return (now_ns() - t0) / (double)iters;
}

/* Warm up and find how many pairs fill one repetition. */
static long calibrate(const struct bench_case *c)
{
	long iters = 1;

	for (;;) {
		double ns = run_pairs(c, iters) * (double)iters;

		if (ns >= REP_NS / 4 || iters > (1l << 30))
			return (long)((double)iters * REP_NS / (ns > 1 ? ns : 1)) + 1;
		iters *= 2;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* The four cases of one operation, interleaved: core (a), core (b), naive (a), naive (b). */
static void measure(const char *name, struct bench_case c[4])
{
	double t[4][REPS], med[4];
	long iters[4];

	for (int k = 0; k < 4; k++)
		iters[k] = calibrate(&c[k]);
	for (int rep = 0; rep < REPS; rep++)
		for (int k = 0; k < 4; k++)
			t[k][rep] = run_pairs(&c[k], iters[k]);
	for (int k = 0; k < 4; k++)
		med[k] = median(t[k], REPS);
	printf("%s: 1 mdev %.0f ns/op, %u mdevs %.0f ns/op, ratio %.2f (goal <= 1.10%s); "
	       "naive kernel walk: 1 mdev %.0f ns/op, %u mdevs %.0f ns/op, ratio %.1f\n",
	       name, med[0], N_MDEVS, med[1], med[1] / med[0],
	       med[1] / med[0] <= 1.10 ? ", met" : ", MISSED", med[2], N_MDEVS, med[3],
	       med[3] / med[2]);
}

int main(void)
{
	static struct ap_machine hw;
	struct ap_system *one, *full;
	struct ap_mdev *m_one, *m_full;
	struct naive *n_one = naive_new(), *n_full = naive_new();
	struct naive_mdev *nm_one, *nm_full;
	size_t heap0, heap1;
	double t0, t_create, t_assign;

	build_machine(&hw);
	one = new_system(&hw);
	full = new_system(&hw);

	/* (a): the measured mdev alone */
	m_one = create(one, 0);
	assign(one, m_one, AP_KIND_ADAPTER, OWN);
	assign(one, m_one, AP_KIND_DOMAIN, OWN);

	/* (b): 65536 mdevs, the measured one first */
	heap0 = heap_in_use();
	t0 = now_ns();
	for (uint32_t i = 0; i < N_MDEVS; i++)
		create(full, i);
	t_create = now_ns() - t0;
	heap1 = heap_in_use();
	t0 = now_ns();
	for (uint32_t i = 0; i < N_MDEVS; i++) {
		struct ap_mdev *m = matrix_slot(full, i);
		unsigned int a, d;

		if (i == 0) {
			assign(full, m, AP_KIND_ADAPTER, OWN);
			assign(full, m, AP_KIND_DOMAIN, OWN);
		} else if (layout_apqn(i, &a, &d)) {
			assign(full, m, AP_KIND_ADAPTER, a);
			assign(full, m, AP_KIND_DOMAIN, d);
		} else {
			assign(full, m, AP_KIND_ADAPTER, i % AP_DEVICES);
		}
	}
	t_assign = now_ns() - t0;
	m_full = matrix_slot(full, 0);
	if (matrix_available(full) != 0)
		die("the instance limit was not reached", -EINVAL);

	/* the same layouts for the naive driver */
	nm_one = naive_create(n_one);
	bit_set(nm_one->apm, OWN);
	bit_set(nm_one->aqm, OWN);
	nm_full = NULL;
	for (uint32_t i = 0; i < N_MDEVS; i++) {
		struct naive_mdev *m = naive_create(n_full);
		unsigned int a, d;

		if (i == 0) {
			nm_full = m;
			bit_set(m->apm, OWN);
			bit_set(m->aqm, OWN);
		} else if (layout_apqn(i, &a, &d)) {
			bit_set(m->apm, a);
			bit_set(m->aqm, d);
		} else {
			bit_set(m->apm, i % AP_DEVICES);
		}
	}

	printf("machine: %u adapters x %u usage domains (APXA, Na=Nd=255), apmask=aqmask=0: "
	       "every queue bound to vfio_ap\n",
	       AP_DEVICES, AP_DOMAINS);
	printf("create %u mdevs (create store): %.1f ms, %.0f ns/mdev; assigning their "
	       "matrices: %.1f ms, %.0f ns/mdev\n",
	       N_MDEVS, t_create / 1e6, t_create / N_MDEVS, t_assign / 1e6, t_assign / N_MDEVS);
	printf("core memory per mdev: %.1f bytes (heap growth over %u creates; "
	       "sizeof(struct ap_mdev) = %zu)\n",
	       (double)(heap1 - heap0) / N_MDEVS, N_MDEVS, sizeof(struct ap_mdev));

	for (int k = 0; k < 2; k++) {
		enum ap_kind kind = k ? AP_KIND_DOMAIN : AP_KIND_ADAPTER;
		struct bench_case c[4] = {
		    {.kind = kind, .s = one, .m = m_one},
		    {.kind = kind, .s = full, .m = m_full},
		    {.kind = kind, .n = n_one, .nm = nm_one},
		    {.kind = kind, .n = n_full, .nm = nm_full},
		};

		measure(k ? "assign_domain+unassign_domain \"0x10\""
			  : "assign_adapter+unassign_adapter \"0x10\"",
			c);
	}

	ap_system_clear(one);
	ap_system_clear(full);
	free(one);
	free(full);
	naive_free(n_one);
	naive_free(n_full);
	return 0;
}
