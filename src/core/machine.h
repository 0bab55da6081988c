/*
 * machine - the emulated AP hardware: facilities, the QCI view of the
 * configuration, adapters and their queues' hardware state.
 *
 * The machine knows nothing of drivers or mediated devices; bus.c and
 * matrix.c keep that state. All ids are checked here against the limits the
 * machine reports (APXA: QCI's Na/Nd; without it adapters 0-63, domains 0-15).
 */
#ifndef APEMU_CORE_MACHINE_H
#define APEMU_CORE_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ap_arch.h"
#include "mask.h"

/* Device type numbers reported by TAPQ (raw_hwtype, hwtype). */
#define AP_HWTYPE_CEX4 10
#define AP_GEN_MIN     4
#define AP_GEN_MAX     8

/* Master-key verification patterns a coprocessor domain shows (mkvps). */
enum ap_mk_state {
	AP_MK_NONE = 0, /* the register is not reported: "- -" */
	/* CCA new registers: empty, partial, full; current/old: invalid, valid */
	AP_MK_EMPTY,
	AP_MK_PARTIAL,
	AP_MK_FULL,
	AP_MK_INVALID,
	AP_MK_VALID,
	/* EP11 new wrapping key: empty, uncommitted, committed */
	AP_MK_UNCOMMITTED,
	AP_MK_COMMITTED,
};

/* CCA: AES and APKA master keys, new/current/old, 8-byte patterns. */
enum {
	AP_CCA_AES_NEW,
	AP_CCA_AES_CUR,
	AP_CCA_AES_OLD,
	AP_CCA_APKA_NEW,
	AP_CCA_APKA_CUR,
	AP_CCA_APKA_OLD,
	AP_CCA_MK_REGS
};
/* EP11: the current and the new wrapping key, 32-byte patterns. */
enum { AP_EP11_WK_CUR, AP_EP11_WK_NEW, AP_EP11_WK_REGS };
#define AP_EP11_WKVP_LEN 32

struct ap_mkvps {
	uint8_t cca_state[AP_CCA_MK_REGS];
	uint64_t cca_vp[AP_CCA_MK_REGS];
	uint8_t ep11_state[AP_EP11_WK_REGS];
	uint8_t ep11_vp[AP_EP11_WK_REGS][AP_EP11_WKVP_LEN];
};

/* EP11 operation modes: bit numbers of the kernel's op_mode word. */
#define AP_EP11_OPM_FIPS2009  (1u << 0)
#define AP_EP11_OPM_BSI2009   (1u << 1)
#define AP_EP11_OPM_FIPS2011  (1u << 2)
#define AP_EP11_OPM_BSI2011   (1u << 3)
#define AP_EP11_OPM_BSICC2017 (1u << 6)

/* An EP11 card's info: API ordinal number (0: none shown), firmware
 * version (major << 8 | minor, 0: none shown), operation modes. */
struct ap_ep11_info {
	uint32_t api_ordinal;
	uint16_t fw_version;
	uint32_t op_modes; /* AP_EP11_OPM_* */
};

enum ap_mode {
	AP_MODE_ACCEL = 0, /* CEXnA: type 50 RSA requests */
	AP_MODE_CCA,	   /* CEXnC: CCA coprocessor */
	AP_MODE_EP11,	   /* CEXnP: EP11 coprocessor */
};

struct ap_adapter {
	bool present;
	uint8_t gen; /* 4..8: CEX4..CEX8 */
	enum ap_mode mode;
	uint8_t depth; /* TAPQ QD field: a queue holds depth + 1 requests */
	uint32_t max_msg_size;
	char serial[17];
	uint32_t functions;	  /* TAPQ's facility bits; 0: derived from the mode */
	struct ap_ep11_info ep11; /* EP11 cards only */
	bool mkvps_given;	  /* the description's patterns, for every domain */
	struct ap_mkvps mkvps;	  /* when mkvps_given */
	/* Hardware state, changed by SCLP (config) or by events (chkstop). */
	bool configured;
	bool chkstop;
};

/* Facilities and QCI contents: what the machine reports. */
struct ap_machine_info {
	bool qci;			/* facility 12: QCI installed */
	bool apft;			/* facility 15: TAPQ T bit */
	bool aqic;			/* facility 65: AQIC, adapter interrupts */
	bool apxa;			/* QCI N bit: extended addressing */
	bool apsc;			/* QCI S bit: AP special command facility */
	bool qact;			/* QCI C bit: PQAP(QACT) */
	bool rc8a;			/* QCI R bit: response code 0x8A */
	bool apsb;			/* QCI B bit: AP Secure Execution (bind, associate) */
	uint8_t na;			/* QCI: highest adapter id (APXA only) */
	uint8_t nd;			/* QCI: highest domain id (APXA only) */
	struct ap_mask usage_domains;	/* QCI AQM */
	struct ap_mask control_domains; /* QCI ADM */
};

struct ap_machine {
	struct ap_machine_info info;
	struct ap_adapter adapter[AP_DEVICES];
	struct ap_mask present; /* the QCI APM: ids of the present adapters */
};

/* A description to build a machine from; adapters are added one by one. */
struct ap_adapter_desc {
	unsigned int id;
	unsigned int gen;
	enum ap_mode mode;
	int depth;	    /* -1: default (7) */
	long max_msg_size;  /* -1: default (12288) */
	const char *serial; /* NULL: derived from the id (CCA 8, EP11 16 characters) */
	uint32_t functions; /* 0: derived from the mode */
	/* EP11 only; NULL: machine_ep11_default() */
	const struct ap_ep11_info *ep11;
	const struct ap_mkvps *mkvps; /* NULL: the defaults of machine.c */
};

/* Set up an empty machine from info. -EINVAL: na/nd beyond 255 impossible by type;
 * usage or control domains above the domain limit. */
int machine_init(struct ap_machine *m, const struct ap_machine_info *info);

/*
 * Add an adapter. -EINVAL: id above the adapter limit, gen outside 4..8,
 * depth outside 0..15, max_msg_size not a positive multiple of 4096 up to 61440
 * (the 4-bit ML field), mode unknown, a serial longer than the card kind's
 * (CCA 8, EP11 16 characters) or on an accelerator, functions whose mode
 * bits (COPRO, ACCEL, EP11) are not the mode's alone, EP11 info or
 * patterns on a card of another kind. -EEXIST: id already present.
 */
int machine_add_adapter(struct ap_machine *m, const struct ap_adapter_desc *d);
/* -ENODEV: no such adapter. */
int machine_remove_adapter(struct ap_machine *m, unsigned int id);
/* Take an adapter out of the configuration but keep its description (the
 * first step of a removal, so that drivers hear of it before the devices go). */
void machine_unconfigure_adapter(struct ap_machine *m, unsigned int id);

unsigned int machine_max_apid(const struct ap_machine *m);
unsigned int machine_max_apqi(const struct ap_machine *m);
/* Can the machine have an adapter with this id (QCI Na; 63 without APXA)? 0 or -EINVAL. */
int machine_check_apid(const struct ap_machine *m, unsigned long apid);
/* The QCI APM: the adapters present (configured or in standby). */
void machine_adapter_mask(const struct ap_machine *m, struct ap_mask *ret);
bool machine_apqn_exists(const struct ap_machine *m, unsigned int apid, unsigned int apqi);

/* What an EP11 card of generation gen shows when nothing is described
 * (illustrative: API ordinal 6, firmware gen.2, no operation mode). */
void machine_ep11_default(unsigned int gen, struct ap_ep11_info *ret);
/* The patterns the queue apqi of a coprocessor shows: the description's,
 * or (as each domain has its own master keys) ones derived from the APQN. */
void machine_queue_mkvps(const struct ap_adapter *a, unsigned int apid, unsigned int apqi,
			 struct ap_mkvps *ret);
/* The kernel's name of EP11 operation mode bit (AP_EP11_OPM_*), NULL for
 * a bit without one; AP_EP11_OPM_BITS bounds the bits to ask about. */
#define AP_EP11_OPM_BITS 7
const char *machine_ep11_op_mode_name(unsigned int bit);
/* The longest serial number a card of this mode shows (0: none). */
size_t machine_serial_len(enum ap_mode mode);
/* The mode bit a functions word must carry for a mode (AP_FUNC_*). */
uint32_t machine_mode_function(enum ap_mode mode);

/* Per-adapter facts derived from its generation and mode. */
unsigned int machine_hwtype(const struct ap_adapter *a);
uint32_t machine_functions(const struct ap_machine *m, const struct ap_adapter *a);
/* "CEX8A", "CEX7C", "CEX6P"; out must hold 6 bytes. */
void machine_type_name(const struct ap_adapter *a, char out[6]);
const char *machine_mode_name(enum ap_mode mode); /* accel, cca, ep11 */
/* The response code TAPQ gives for an existing queue of this adapter. */
int machine_queue_rc(const struct ap_adapter *a);

#endif
