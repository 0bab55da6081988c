/*
 * rsa-guest - one RSA operation through an AP queue of a guest of apemud,
 * as a guest kernel's zcrypt driver does it, using libapemu-guest alone.
 *
 *   rsa-guest [-s SOCKET] [-m BYTES] UUID AA.DDDD
 *
 * The guest opens the vfio_ap mediated device UUID (it must be started and
 * hold queue AA.DDDD), checks the queue with TAPQ, sends it one type 50
 * request (RSA modular exponentiation, MEB1 key block, a fresh 1024-bit
 * key) with NQAP, collects the type 80 reply with DQAP and compares the
 * result with OpenSSL's. Exit status 0 when they are equal, 1 when
 * anything failed (the reason on stderr), 2 for bad arguments.
 *
 * With -m the program plays QEMU: the guest's RAM is a memfd of BYTES bytes
 * made here, as QEMU's memory-backend-memfd makes it (sealed), and handed
 * to the library with apemu_guest_adopt(), which adds its own pages behind
 * it.
 *
 * Build: cc rsa-guest.c $(pkg-config --cflags --libs apemu-guest libcrypto)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create; getopt, nanosleep */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <apemu/guest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

/* A type 50 request with an MEB1 key block (apemu's src/crypto/type50.h
 * tables every format): a 16-byte header, then exponent, modulus and
 * message, each big-endian and right-justified in 128 bytes. */
#define BITS	  1024
#define FIELD	  128
#define HDR	  16
#define REQ_LEN	  (HDR + 3 * FIELD)
#define REPLY_LEN (HDR + FIELD)		/* type 80: header, result in one field */
#define PSMID	  0x0123456789abcdefull /* any tag: DQAP hands it back */

/*
 * Say what failed, with the errno text when err < 0 and then apemud's own
 * reason when it refused a request (apemu_guest_message()); free the
 * guest, which releases its mdev. Returns main's exit status.
 */
static int fail(struct apemu_guest *g, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct apemu_guest *g, int err, const char *fmt, ...)
{
	const char *why = g && err < 0 ? apemu_guest_message(g) : "";
	va_list ap;

	fputs("rsa-guest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err < 0)
		fprintf(stderr, ": %s", strerror(-err));
	fprintf(stderr, *why ? " (%s)\n" : "%s\n", why);
	apemu_guest_free(g);
	return 1;
}

/* The request: header, d, n, msg; and OpenSSL's answer msg^d mod n. */
static int build(uint8_t req[REQ_LEN], uint8_t expect[FIELD])
{
	EVP_PKEY *key = EVP_RSA_gen(BITS);
	BIGNUM *n = NULL, *d = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t outlen = FIELD;
	int ok;

	memset(req, 0, REQ_LEN);
	req[1] = 0x50; /* message type: type 50 request */
	req[2] = REQ_LEN >> 8, req[3] = REQ_LEN & 0xff;
	req[9] = 0x01; /* key-block type MEB1 */
	/* a random message below the modulus: its top byte zero */
	ok = key && RAND_bytes(req + HDR + 2 * FIELD + 1, FIELD - 1) == 1 &&
	     EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	     EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_D, &d) == 1 &&
	     BN_bn2binpad(d, req + HDR, FIELD) == FIELD &&
	     BN_bn2binpad(n, req + HDR + FIELD, FIELD) == FIELD;
	/* OpenSSL's raw private-key operation on the same message */
	ok = ok && (ctx = EVP_PKEY_CTX_new(key, NULL)) && EVP_PKEY_decrypt_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
	     EVP_PKEY_decrypt(ctx, expect, &outlen, req + HDR + 2 * FIELD, FIELD) == 1 &&
	     outlen == FIELD;
	EVP_PKEY_CTX_free(ctx);
	BN_clear_free(d);
	BN_free(n);
	EVP_PKEY_free(key);
	return ok ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	const char *sock = NULL; /* NULL: APEMU_GUEST_DEFAULT_SOCKET */
	uint8_t req[REQ_LEN], expect[FIELD], reply[REPLY_LEN];
	struct apemu_guest *g = NULL;
	struct apemu_ap_result res;
	unsigned int a, d;
	uint16_t apqn; /* adapter << 8 | domain, as the instructions take it */
	uint64_t info = 0, psmid = 0;
	size_t len = 0, residual = 0;
	int opt, r, end = 0, ramfd = -1;
	size_t ram = 0;
	char *num_end;

	while ((opt = getopt(argc, argv, "s:m:")) != -1) {
		if (opt == 's') {
			sock = optarg;
		} else if (opt == 'm') {
			ram = strtoul(optarg, &num_end, 0);
			if (*num_end || !ram || ram % 4096)
				goto usage;
		} else {
			goto usage;
		}
	}
	if (argc - optind != 2 || sscanf(argv[optind + 1], "%2x.%4x%n", &a, &d, &end) != 2 ||
	    argv[optind + 1][end] || d > 0xff)
		goto usage;
	apqn = (uint16_t)(a << 8 | d);

	if (build(req, expect) < 0)
		return fail(NULL, 0, "OpenSSL could not make a key");

	/* A guest: its memory goes to apemud, which builds a CRYCB for it. */
	if (ram) {
		/* QEMU's guest RAM: a sealed memfd the library adopts */
		ramfd = memfd_create("rsa-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (ramfd < 0 || ftruncate(ramfd, (off_t)ram) < 0 ||
		    fcntl(ramfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
			return fail(NULL, -errno, "guest RAM of %zu bytes", ram);
		r = apemu_guest_adopt(sock, NULL, ramfd, ram, &g);
	} else {
		r = apemu_guest_new(sock, NULL, 0, &g);
	}
	if (r < 0)
		return fail(NULL, r, "cannot create a guest of apemud at %s",
			    sock ? sock : APEMU_GUEST_DEFAULT_SOCKET);
	/* QEMU's open of the mdev: its adapters and domains enter the CRYCB. */
	r = apemu_guest_open(g, argv[optind]);
	if (r < 0)
		return fail(g, r, "cannot open mdev %s", argv[optind]);

	/* TAPQ with the T bit: is the queue ours, and what does it take? */
	r = apemu_tapq(g, apqn, true, &res, &info);
	if (r < 0)
		return fail(g, r, "TAPQ");
	if (res.pgm || res.cc)
		return fail(g, 0, "queue %02x.%04x is not usable (TAPQ cc %d, rc 0x%02x)", a, d,
			    res.cc, APEMU_AP_STATUS_RC(res.status));
	printf("TAPQ %02x.%04x: cc 0, holds %u requests\n", a, d, (unsigned int)(info & 0xf) + 1);

	/* NQAP: the request goes on the queue; the adapter computes it. */
	r = apemu_nqap(g, apqn, PSMID, req, sizeof(req), &res);
	if (r < 0)
		return fail(g, r, "NQAP");
	if (res.pgm || res.cc)
		return fail(g, 0, "NQAP: cc %d, rc 0x%02x", res.cc, APEMU_AP_STATUS_RC(res.status));

	/*
	 * DQAP until the reply is there: rc 0x10 means none yet. (A driver
	 * that would rather sleep enables interruptions with apemu_aqic() and
	 * polls apemu_guest_irq_fd().) Give up after about 10 s.
	 */
	for (int tries = 0; tries < 10000; tries++) {
		r = apemu_dqap(g, apqn, &psmid, reply, sizeof(reply), &len, &residual, &res);
		if (r < 0)
			return fail(g, r, "DQAP");
		if (res.pgm || res.cc == 0 || APEMU_AP_STATUS_RC(res.status) != APEMU_AP_RC_Q_FULL)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	if (res.pgm || res.cc || residual || psmid != PSMID)
		return fail(g, 0, "DQAP: no reply to our request (pgm 0x%04x, cc %d, rc 0x%02x)",
			    res.pgm, res.cc, APEMU_AP_STATUS_RC(res.status));
	apemu_guest_free(g); /* releases the mdev; apemud zeroizes its queues */
	if (ramfd >= 0)
		close(ramfd);

	/* A type 80 reply holds the result; a type 82 one an error code. */
	if (len != REPLY_LEN || reply[1] != 0x80)
		return fail(NULL, 0, "reply type 0x%02x, %zu bytes (error code 0x%02x)", reply[1],
			    len, len > 4 ? reply[4] : 0);
	if (memcmp(reply + HDR, expect, FIELD) != 0)
		return fail(NULL, 0, "RSA-%d ME on %02x.%04x: the result differs from OpenSSL's",
			    BITS, a, d);
	printf("RSA-%d ME on %02x.%04x: the adapter's result equals OpenSSL's\n", BITS, a, d);
	return 0;

usage:
	fprintf(stderr, "usage: %s [-s SOCKET] [-m BYTES] UUID AA.DDDD\n", argv[0]);
	return 2;
}
