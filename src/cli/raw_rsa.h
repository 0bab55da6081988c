/*
 * raw_rsa - the baselines of the RSA benchmarks (`apemu bench`,
 * bench/rsa_bench): the private-key operation done directly with OpenSSL
 * calls, on threads of the benchmark itself. Nothing here calls apemu's
 * own crypto code (src/crypto executes the adapters' requests; rsakey only
 * carries the numbers of an OpenSSL key).
 *
 * RAW_BN is exactly what an accelerator computes for a type 50 request
 * and so the physical limit of apemu's data plane (PERF-NOTES.md):
 *   CRT  m1 = c^dp mod p and m2 = c^dq mod q at once with
 *        BN_mod_exp_mont_consttime_x2 (after reducing c by p and q),
 *        then h = qinv (m1 - m2) mod p, result m2 + h q;
 *   ME   c^d mod n with BN_mod_exp_mont_consttime;
 * constant-time exponentiations, no blinding, the Montgomery contexts of
 * p and q (or n) set up once per thread and kept. The message comes from
 * bytes and the result goes to bytes, as any RSA call's do; the key's
 * numbers stay loaded (an adapter parses them from each request, which
 * costs about a microsecond of a 2048-bit CRT's 250).
 * RAW_EVP is EVP_PKEY_decrypt without padding on the thread's own copy of
 * the key (OpenSSL's RSA with its blinding and result check; for ME a key
 * of n, e, d only, so that OpenSSL exponentiates with d).
 *
 * A struct raw_rsa belongs to one thread.
 */
#ifndef APEMU_RAW_RSA_H
#define APEMU_RAW_RSA_H

#include <stdbool.h>

#include <pthread.h>

#include "rsakey.h"

enum raw_way { RAW_BN, RAW_EVP };

struct raw_rsa;

/*
 * State for one thread: its own copy of the numbers, its contexts, a
 * random message below n. crt: CRT with p, q, dp, dq, qinv, else ME with
 * d. The first result is checked against OpenSSL's RSA on the original key
 * (EVP_PKEY_decrypt, no padding): -EIO when they differ or libcrypto
 * failed, -ENOMEM.
 */
int raw_rsa_new(const struct rsakey *k, enum raw_way way, bool crt, struct raw_rsa **ret);
/* One operation. 0, or -EIO when libcrypto failed. */
int raw_rsa_op(struct raw_rsa *r);
/* Accepts NULL; wipes the copies of the key. */
void raw_rsa_free(struct raw_rsa *r);

/*
 * Placement of the benchmarks' threads (the vCPUs of shared VMs run at
 * different speeds for seconds at a time: bench/README.md). raw_cpus: the
 * first n CPUs this process may run on, into cpus; how many there were
 * (at most n), 0 when they cannot be known. raw_thread_create: start fn(arg)
 * on CPU cpu, or where the scheduler likes with -1; pthread_create's result.
 */
int raw_cpus(int *cpus, int n);
int raw_thread_create(pthread_t *t, int cpu, void *(*fn)(void *), void *arg);

/* Operations done on nthreads (1..RAW_MAX_THREADS) threads in seconds
 * (each thread runs about that long; its count is scaled to exactly that
 * long at the rate it had), or -1 when something failed. With cpus, thread
 * i runs on CPU cpus[i]; NULL: where the scheduler likes. */
#define RAW_MAX_THREADS 8
double raw_rsa_ops(const struct rsakey *k, enum raw_way way, bool crt, unsigned int nthreads,
		   double seconds, const int *cpus);

#endif
