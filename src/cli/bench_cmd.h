/*
 * bench_cmd - `apemu bench`: the crypto data plane against raw OpenSSL and
 * a raw futex ping-pong, measured in the same run.
 */
#ifndef APEMU_BENCH_CMD_H
#define APEMU_BENCH_CMD_H

#include "client.h"

#define BENCH_CMD_SYNOPSIS "[--fairness | --scale [N]] [--seconds S] [--json]"
#define BENCH_CMD_HELP                                                                             \
	"Start a private apemud and measure its data plane, each figure against a\n"               \
	"baseline measured in the same run. Default: two CEX8A adapters on one mdev,\n"            \
	"one guest:\n"                                                                             \
	"  RSA-2048 CRT through guest, ring, adapter and OpenSSL vs what an adapter\n"             \
	"  computes done directly (constant-time CRT, 1 thread) and vs EVP_PKEY_decrypt;\n"        \
	"  the same on 2 adapters vs 2 threads, and the scaling from 1 to 2 adapters;\n"           \
	"  RSA-4096 CRT and a 1024-bit modular exponentiation vs the same baselines;\n"            \
	"  the NQAP+DQAP round trip of the smallest request vs a futex ping-pong.\n"               \
	"Every reply is checked against OpenSSL's result. Exit 1 if one differs.\n"                \
	"  --fairness   3 CEX8A: guest X floods 2 adapters with RSA-4096 ME, guest Y's\n"          \
	"               RSA-2048 CRT rate on the third against Y's rate alone\n"                   \
	"  --scale [N]  N guests (default 1024) on N mdevs of one APQN each, TAPQ + NQAP +\n"      \
	"               DQAP each: apemud's threads, private memory per guest, TAPQ latency\n"     \
	"               against one guest\n"                                                       \
	"  --seconds S  time per measurement (default 2)\n"                                        \
	"  --json       one JSON object per measurement\n"

int bench_cmd_main(int argc, char **argv);

#endif
