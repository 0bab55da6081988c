/*
 * monitor_cmd - `apemu monitor`: the emulated kernel's uevents as they
 * happen, printed the way `udevadm monitor --kernel [--property]` prints
 * them.
 */
#ifndef APEMU_MONITOR_CMD_H
#define APEMU_MONITOR_CMD_H

#define MONITOR_CMD_SYNOPSIS "[--mount DIR] [--property] [--all] [--count N] [--timeout S]"
#define MONITOR_CMD_HELP                                                                           \
	"Print the uevents the emulated kernel sends, from now on, one line each:\n"               \
	"  KERNEL[TIME] ACTION DEVPATH (SUBSYSTEM)\n"                                              \
	"  --property   also each event's variables, one per line, and an empty line\n"            \
	"  --all        begin with the events apemud still keeps (the last 256)\n"                 \
	"  --count N    exit after N events\n"                                                     \
	"  --timeout S  exit after S seconds (status 0)\n"                                         \
	"Exit 1 when apemud goes away.\n"

int monitor_cmd_main(int argc, char **argv);

#endif
