/*
 * rsa_cmd - `apemu rsa`: RSA through a guest on an mdev, every result
 * checked against OpenSSL, with progress and throughput.
 */
#ifndef APEMU_RSA_CMD_H
#define APEMU_RSA_CMD_H

#include "client.h"

#define RSA_CMD_SYNOPSIS                                                                           \
	"[--mount DIR] --mdev UUID [--apqn AA.DDDD[,...]] [--bits N] [--me|--me-public]\n"         \
	"               [--count N | --seconds S] [--keys K] [--poll] [--json] [--quiet]\n"        \
	"               [--keep-going]"
#define RSA_CMD_HELP                                                                               \
	"Be a guest on the mdev UUID and run RSA on its accelerators: type 50 requests\n"          \
	"built from fresh OpenSSL keys go through NQAP, the emulated adapters compute,\n"          \
	"DQAP brings the replies back, and every result is compared with OpenSSL's RSA.\n"         \
	"A progress line goes to stderr; the throughput to stdout. Exit 1 when a result\n"         \
	"differs or the guest cannot run.\n"                                                       \
	"  --apqn LIST   queues to use (default: one domain of each accelerator the\n"             \
	"                guest's QCI shows)\n"                                                     \
	"  --bits N      key size, 512 to 4096, a multiple of 8 (default 2048)\n"                  \
	"  --me          modular exponentiation with the private exponent (default: CRT)\n"        \
	"  --me-public   modular exponentiation with the public exponent 65537\n"                  \
	"  --count N     operations (default 1000)   --seconds S  run for S seconds instead\n"     \
	"  --keys K      distinct keys, 4 requests each (default 4)\n"                             \
	"  --poll        poll DQAP instead of waiting for adapter interruptions (AQIC)\n"          \
	"  --json        the result as one JSON object\n"                                          \
	"  --quiet       no progress\n"                                                            \
	"  --keep-going  count requests a reset discards (the queue found empty, a later\n"        \
	"                reply overtaking them) and go on; wait while a queue is out of\n"         \
	"                reach (response codes 0x01-0x05) instead of stopping\n"

int rsa_cmd_main(int argc, char **argv);

#endif
