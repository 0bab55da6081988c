/*
 * zcrypt-check - runs inside the s390x Linux guest of scripts/linux-guest.sh:
 * RSA through /dev/z90crypt (zcrypt's ICARSAMODEXPO and ICARSACRT ioctls),
 * on the key and input the host made with OpenSSL, compared with the
 * result OpenSSL computed on the host.
 *
 *   zcrypt-check DIR
 *
 * DIR holds big-endian binary files: n, d (each the modulus' length),
 * p, dp, qinv (half that + 8, zero-padded in front, as zcrypt takes them),
 * q, dq (half), in (the input) and out (OpenSSL's result). One line per
 * ioctl: "ok ..." or "not ok ...". Exit status 0 when both matched.
 *
 * Cross-compiled with s390x-linux-gnu-gcc -static; not part of apemu's
 * build.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <asm/zcrypt.h>

#define MAXLEN 1024

static size_t load(const char *dir, const char *name, unsigned char *buf)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "zcrypt-check: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	n = read(fd, buf, MAXLEN);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "zcrypt-check: %s: empty\n", path);
		exit(2);
	}
	return (size_t)n;
}

static int report(const char *what, int r, const unsigned char *got, const unsigned char *want,
		  size_t len)
{
	if (r < 0) {
		printf("not ok %s: ioctl: %s\n", what, strerror(errno));
		return 1;
	}
	if (memcmp(got, want, len)) {
		printf("not ok %s: the result differs from OpenSSL's\n", what);
		return 1;
	}
	printf("ok %s: %zu-bit result equals OpenSSL's\n", what, len * 8);
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char n[MAXLEN], d[MAXLEN], p[MAXLEN], q[MAXLEN], dp[MAXLEN], dq[MAXLEN],
	    qinv[MAXLEN], in[MAXLEN], want[MAXLEN], out[MAXLEN];
	struct ica_rsa_modexpo me;
	struct ica_rsa_modexpo_crt crt;
	size_t len;
	int fd, bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: zcrypt-check DIR\n");
		return 2;
	}
	len = load(argv[1], "n", n);
	load(argv[1], "d", d);
	load(argv[1], "p", p);
	load(argv[1], "q", q);
	load(argv[1], "dp", dp);
	load(argv[1], "dq", dq);
	load(argv[1], "qinv", qinv);
	load(argv[1], "in", in);
	load(argv[1], "out", want);
	fd = open("/dev/z90crypt", O_RDWR);
	if (fd < 0) {
		printf("not ok open /dev/z90crypt: %s\n", strerror(errno));
		return 1;
	}
	memset(&me, 0, sizeof(me));
	me.inputdata = in;
	me.inputdatalength = len;
	me.outputdata = out;
	me.outputdatalength = len;
	me.b_key = d;
	me.n_modulus = n;
	memset(out, 0, sizeof(out));
	bad |= report("ICARSAMODEXPO", ioctl(fd, ICARSAMODEXPO, &me), out, want, len);

	memset(&crt, 0, sizeof(crt));
	crt.inputdata = in;
	crt.inputdatalength = len;
	crt.outputdata = out;
	crt.outputdatalength = len;
	crt.bp_key = dp;
	crt.bq_key = dq;
	crt.np_prime = p;
	crt.nq_prime = q;
	crt.u_mult_inv = qinv;
	memset(out, 0, sizeof(out));
	bad |= report("ICARSACRT", ioctl(fd, ICARSACRT, &crt), out, want, len);
	close(fd);
	return bad;
}
