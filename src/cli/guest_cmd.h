/*
 * guest_cmd - `apemu guest`: a guest of apemud driven line by line. It
 * creates a guest (libapemu-guest), opens an mdev for it, then reads one
 * instruction or command per line from stdin and prints one JSON object
 * per line on stdout (docs/apemu-cli.md, "apemu guest").
 */
#ifndef APEMU_GUEST_CMD_H
#define APEMU_GUEST_CMD_H

#include "client.h"

#define GUEST_CMD_SYNOPSIS "[--mount DIR] (--mdev UUID | --no-open) [--cpu LIST] [--memory BYTES]"
#define GUEST_CMD_HELP                                                                             \
	"Play a guest: create it (its memory goes to apemud), open the mdev UUID for it\n"         \
	"(QEMU's vfio-ap device), then run one line of stdin at a time and print one JSON\n"       \
	"object per line. Exit 0 at the end of input.\n"                                           \
	"  --mount DIR     the instance (default " INSTPATH_DEFAULT_MOUNT ")\n"                    \
	"  --mdev UUID     the vfio_ap mediated device to open\n"                                  \
	"  --no-open       create the guest without opening an mdev\n"                             \
	"  --cpu LIST      CPU model, e.g. "                                                       \
	"ap=on,apqci=on,apft=on,apqi=on,msax3=on,apxa=on,sie=off\n"                                \
	"                  (the default; features: ap apqci apft apqi msax3 apxa sie)\n"           \
	"  --memory BYTES  guest memory (default 1 MiB; a multiple of 4096, >= 8192)\n"            \
	"Lines (APQN: AA.DDDD in hex; HEX: an even number of hex digits; numbers in C syntax):\n"  \
	"  tapq APQN [t]         rapq APQN [f]         zapq APQN [f]\n"                            \
	"  aqic APQN on [ISC [NIB-ADDR]]               aqic APQN off\n"                            \
	"  nqap APQN HEX [PSMID]  dqap APQN [BUFLEN]    qci\n"                                     \
	"  poll APQN [BUFLEN]    (DQAP until a reply comes while requests are in progress)\n"      \
	"  raw OPC R1 R2 [GR0 .. GR15]   (OPC: pqap, nqap, dqap or a number)\n"                    \
	"  crycb  info  reset  release [UUID]  open UUID  guest  problem on|off\n"                 \
	"  nested SCB-ADDR|off  irq [TIMEOUT-MS]  read ADDR LEN  write ADDR HEX\n"                 \
	"Empty lines and lines starting with # are skipped.\n"

/* argv[0] is "guest". Returns the exit status: 0, 1 (failure), 2 (usage). */
int guest_cmd_main(int argc, char **argv);

#endif
