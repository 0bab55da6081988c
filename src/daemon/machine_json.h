/*
 * machine_json - the machine description: a JSON file (json-c) turned into
 * what ap_system_init() needs, with every mistake reported as
 * "<file>: <field path>: <what is wrong>" (syntax errors: "<file>:<line>:<col>").
 *
 * The format is documented in docs/machine-json.md. A DEFAULT machine
 * (machine_json_default) is compiled in and parsed by the same loader.
 */
#ifndef APEMU_MACHINE_JSON_H
#define APEMU_MACHINE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system.h"

/* Everything a description says: what ap_system_init() takes. */
struct machine_json {
	enum ap_abi abi;
	struct ap_machine hw;
	bool have_apmask; /* false: all ones, the kernel's default */
	bool have_aqmask;
	struct ap_mask apmask;
	struct ap_mask aqmask;
	int default_domain;	/* -1: the bus picks the lowest usage domain */
	uint32_t max_instances; /* 0: the default, 65536 */
	bool vfio_ap;		/* the vfio_ap module is loaded at start (default) */
};

/* The built-in machine (the vfio-ap documentation's example, and more). */
extern const char machine_json_default[];
#define MACHINE_JSON_DEFAULT_NAME "<default machine>"

/* Longest message any function here writes to err. */
#define MACHINE_JSON_ERR_LEN 512

/*
 * Parse a description from text[0..len); name is the file name used in
 * messages. On failure returns -EINVAL (any mistake in the description),
 * writes a one-line message (no newline) to err and leaves *ret untouched.
 */
int machine_json_parse(const char *name, const char *text, size_t len, struct machine_json *ret,
		       char *err, size_t errlen);

/*
 * Read and parse a file; path NULL parses the default machine. -errno when
 * the file cannot be read (-EFBIG above 4 MiB), -EINVAL for a bad
 * description; err as above.
 */
int machine_json_load(const char *path, struct machine_json *ret, char *err, size_t errlen);

/*
 * The same with the ABI given apart (apemud --abi): abi "cur" or "v8" is
 * taken as the description's "abi" field (which it replaces), NULL leaves
 * the description's. -EINVAL for another name (err says so).
 */
int machine_json_load_abi(const char *path, const char *abi, struct machine_json *ret, char *err,
			  size_t errlen);

/* "CEX<gen><mode>": gen 4..8, mode A (accelerator), C (CCA) or P (EP11). -EINVAL. */
int machine_json_parse_type(const char *s, unsigned int *ret_gen, enum ap_mode *ret_mode);

/*
 * Allocate (about 2 MiB: on the heap) and initialise the system the
 * description says. -ENOMEM, or the error of ap_system_init().
 * Free with machine_json_system_free(), which accepts NULL.
 */
int machine_json_system_new(const struct machine_json *mj, struct ap_system **ret_sys);
void machine_json_system_free(struct ap_system *s);

#endif
