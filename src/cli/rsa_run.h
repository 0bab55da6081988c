/*
 * rsa_run - RSA from inside a guest, the way a guest's zcrypt driver does
 * it: type 50 requests (ME or CRT) built from OpenSSL keys, kept in flight
 * on one or more AP queues up to the depth TAPQ reports, replies collected
 * by DQAP when the adapter interruption (AQIC) or polling says so, and
 * every reply compared with what OpenSSL's RSA computes for the same input.
 *
 * Used by `apemu rsa` (the demo's workload) and `apemu bench`.
 */
#ifndef APEMU_RSA_RUN_H
#define APEMU_RSA_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <apemu/guest.h>

/* One prepared operation: the request and the reply it must give. */
struct rsa_case {
	uint8_t *req;
	size_t req_len;
	uint8_t *reply; /* a type 80 reply with OpenSSL's result */
	size_t reply_len;
};

/*
 * ncases random operations on keys of bits bits (512..4096, a multiple of
 * 8): nkeys fresh OpenSSL keys, a random message below the modulus each;
 * crt: CRB requests, else MEB requests with the private exponent; me_public:
 * MEB requests with the public exponent 65537 instead. The expected result
 * is OpenSSL's raw RSA operation (EVP_PKEY_decrypt or _verify_recover with
 * RSA_NO_PADDING). -EINVAL (bits), -ENOMEM, -EIO (libcrypto failed).
 */
enum rsa_kind { RSA_CRT, RSA_ME_PRIVATE, RSA_ME_PUBLIC };
int rsa_cases_new(unsigned int bits, enum rsa_kind kind, unsigned int nkeys, unsigned int ncases,
		  struct rsa_case **ret);
/* The smallest request there is: a bare 16-byte type 50 header (key-block
 * type 0), which the adapter answers with an 8-byte error reply (type 0x82,
 * code 0x82 operand invalid). */
int rsa_case_smallest(struct rsa_case **ret);
void rsa_cases_free(struct rsa_case *c, unsigned int n);

struct rsa_run {
	struct apemu_guest *g;
	const uint16_t *apqns; /* the queues to use, round robin */
	unsigned int napqns;
	const struct rsa_case *cases;
	unsigned int ncases;
	uint64_t count;	     /* stop after this many replies (0: by time) */
	double seconds;	     /* or after this long */
	bool irq;	     /* wait for adapter interruptions, else poll DQAP */
	unsigned int window; /* requests in flight per queue, 0: the queue's depth + 1 */
	/* count requests a reset discarded and go on (else stop with a message);
	 * a queue out of reach (rc 0x01-0x05) is waited for */
	bool keep_going;
	/* called about every progress_interval seconds and at the end */
	void (*progress)(void *ctx, uint64_t done, double elapsed);
	void *ctx;
	double progress_interval;
};

struct rsa_result {
	uint64_t done;	    /* replies received */
	uint64_t wrong;	    /* replies unlike OpenSSL's */
	uint64_t sent;	    /* requests NQAP accepted */
	uint64_t discarded; /* requests a reset discarded, as the guest observed (keep_going) */
	double seconds;	    /* wall time */
	char message[256];  /* why it stopped early, or "" */
};

/* Run. 0 (see ret->wrong), or -errno with ret->message saying why. */
int rsa_run(const struct rsa_run *r, struct rsa_result *ret);

/*
 * Is apqn the guest's (TAPQ with the facilities test)? 0 and its TAPQ
 * information word in *ret_info (may be NULL), or -errno with a message
 * naming the queue in msg: -ENODEV "queue 05.0005 is not the guest's (TAPQ
 * response code 0x01)".
 */
int rsa_queue_probe(struct apemu_guest *g, uint16_t apqn, uint64_t *ret_info, char *msg,
		    size_t len);

/* CLOCK_MONOTONIC in seconds. */
double rsa_now(void);

/* Parse "AA.DDDD" (hex). */
bool rsa_parse_apqn(const char *s, uint16_t *ret);

#endif
