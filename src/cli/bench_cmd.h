/*
 * bench_cmd - `apemu bench`: the crypto data plane against raw OpenSSL and
 * a raw futex ping-pong, measured in the same run.
 */
#ifndef APEMU_BENCH_CMD_H
#define APEMU_BENCH_CMD_H

#include "client.h"

#define BENCH_CMD_SYNOPSIS "[--seconds S] [--json]"
#define BENCH_CMD_HELP                                                                             \
	"Start a private apemud with two CEX8A accelerators, give both to an mdev, open it\n"      \
	"from a guest and measure, each against a baseline measured in the same run:\n"           \
	"  RSA-2048 CRT through guest, ring, adapter and OpenSSL vs raw OpenSSL (1 thread),\n"     \
	"  the same on 2 adapters vs 2 threads, and the scaling from 1 to 2 adapters;\n"           \
	"  RSA-4096 CRT and a 1024-bit modular exponentiation vs raw OpenSSL;\n"                   \
	"  the NQAP+DQAP round trip of the smallest request vs a futex ping-pong.\n"               \
	"Every reply is checked against OpenSSL's result. Exit 1 if one differs.\n"                \
	"  --seconds S  time per measurement (default 2)\n"                                        \
	"  --json       one JSON object per measurement\n"

int bench_cmd_main(int argc, char **argv);

#endif
