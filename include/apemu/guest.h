/*
 * libapemu-guest - what a guest kernel's zcrypt code does, for a process
 * that plays an s390 guest of apemud.
 *
 * A guest is a process with guest memory (a memfd it creates and maps) and
 * one connection to an apemud control socket. apemu_guest_new() hands the
 * memory to apemud ("guest-create", docs/guest-protocol.md); apemud then
 * plays KVM and the machine: it builds the guest's CRYCB and interprets the
 * guest's AP instructions, which travel through a struct apemu_ring at
 * guest address 0 (include/apemu/guest-abi.h). apemu_guest_open() is
 * QEMU's open of a vfio_ap mediated device for the guest; closing the guest
 * (or the process dying) releases everything, as closing the VFIO device fd
 * and destroying the VM do.
 *
 * Guest memory map (guest address = offset in the memfd):
 *   0x0000  struct apemu_ring                  APEMU_GUEST_RING_ADDR
 *   0x0100  QCI information block (128 bytes)  APEMU_GUEST_QCI_ADDR
 *   0x0200  default notification byte (AQIC)   APEMU_GUEST_NIB_ADDR
 *   0x1000  message area: NQAP's message and DQAP's buffer are placed here
 *           by apemu_nqap()/apemu_dqap()        APEMU_GUEST_MSG_ADDR
 *   0x10000 .. the data-plane area (or memory size): free for the caller
 *           (a nested guest's SCB and CRYCB, say) APEMU_GUEST_USER_ADDR
 *   memory size / 2 (rounded down to 4 KiB) .. memory size: the data-plane
 *           area, where apemud lays out a ring for each queue the guest
 *           reaches; NQAP and DQAP run there without an exit
 *           (guest-abi.h). Only with at least APEMU_GUEST_DP_MIN_MEMORY;
 *           with less, every instruction goes through the ring at 0.
 * With less than 64 KiB of memory the message area ends at the end of
 * memory and there is no caller area.
 *
 * A guest made by apemu_guest_adopt() (QEMU's RAM, say) has the caller's
 * memory at [0, ram) and the library's pages behind it: every address above
 * is then relative to apemu_guest_base() (= ram), and the data-plane area
 * is [ram + APEMU_GUEST_USER_ADDR, ram + APEMU_GUEST_ADOPT_PAGES).
 *
 * Errors: functions that can fail return 0 (or a value >= 0 they document)
 * on success and a negative errno on failure; they leave their ret_ outputs
 * untouched when they fail. A request apemud refused returns apemud's errno
 * (that of the kernel for the same VFIO call) and apemu_guest_message()
 * tells apemud's reason. -ECONNRESET: apemud closed the connection (it
 * stopped or died); the guest is then unusable except for
 * apemu_guest_free().
 *
 * Threads: a struct apemu_guest is one vCPU; calls on one guest must not
 * run concurrently. Any thread may make them: nothing is bound to the
 * thread that created the guest, so a program with several vCPU threads
 * (QEMU's TCG) executes each CPU's instructions on one guest under a lock
 * of its own. Different guests are independent.
 */
#ifndef APEMU_GUEST_H
#define APEMU_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <apemu/guest-abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define APEMU_GUEST_DEFAULT_SOCKET "/run/apemu/sys.sock"
#define APEMU_GUEST_DEFAULT_MEMORY (1u << 20)
#define APEMU_GUEST_MIN_MEMORY	   8192u
#define APEMU_GUEST_DP_MIN_MEMORY  (256u * 1024u)
/* The library's own pages behind an adopted memory (apemu_guest_adopt). */
#define APEMU_GUEST_ADOPT_PAGES (4u << 20)

#define APEMU_GUEST_RING_ADDR 0x0000u
#define APEMU_GUEST_QCI_ADDR  0x0100u
#define APEMU_GUEST_NIB_ADDR  0x0200u
#define APEMU_GUEST_MSG_ADDR  0x1000u
#define APEMU_GUEST_USER_ADDR 0x10000u

/*
 * The machine's numbers below are apemud's too; libapemu-guest's build
 * checks each against apemud's definition (src/guest/abi_check.c).
 */

/* The longest message NQAP takes (15 units of 4 KiB, the ML field). */
#define APEMU_AP_MSG_MAX (15u * 4096u)

/* AP queue status word: GR1 bits 32-63 after TAPQ, RAPQ, ZAPQ, AQIC, NQAP, DQAP. */
#define APEMU_AP_STATUS_E	 0x80000000u /* queue empty */
#define APEMU_AP_STATUS_R	 0x40000000u /* replies waiting */
#define APEMU_AP_STATUS_F	 0x20000000u /* queue full */
#define APEMU_AP_STATUS_I	 0x01000000u /* interruptions enabled */
#define APEMU_AP_STATUS_RC(word) (((word) >> 16) & 0xffu)

/* Response codes (facts 7.2). */
#define APEMU_AP_RC_NORMAL	      0x00
#define APEMU_AP_RC_Q_NOT_AVAIL	      0x01
#define APEMU_AP_RC_RESET_IN_PROGRESS 0x02
#define APEMU_AP_RC_DECONFIGURED      0x03
#define APEMU_AP_RC_CHECKSTOPPED      0x04
#define APEMU_AP_RC_BUSY	      0x05
#define APEMU_AP_RC_INVALID_ADDRESS   0x06
#define APEMU_AP_RC_OTHERWISE_CHANGED 0x07
#define APEMU_AP_RC_INVALID_GISA      0x08
#define APEMU_AP_RC_Q_FULL	      0x10 /* NQAP: queue full; DQAP: no reply pending */
#define APEMU_AP_RC_MESSAGE_TOO_BIG   0x15

/* Program interruption codes. */
#define APEMU_PGM_OPERATION	0x0001
#define APEMU_PGM_PRIVILEGED	0x0002
#define APEMU_PGM_ADDRESSING	0x0005
#define APEMU_PGM_SPECIFICATION 0x0006

/* ---- CPU model ---- */

/* A guest CPU model's AP features, with QEMU's names. */
struct apemu_cpu {
	bool ap;    /* AP instructions interpreted for the guest (APIE) */
	bool apqci; /* facility 12: QCI */
	bool apft;  /* facility 15: TAPQ's T bit */
	bool apqi;  /* facility 65: AQIC */
	bool msax3; /* facility 76: protected keys, CRYCB format 1 or 2 */
	bool apxa;  /* APXA for the guest when the host has it (CRYCB format 2) */
	bool sie;   /* the guest may run nested guests (vSIE) */
};

/* Every feature on except sie: what -cpu host,ap=on,apqci=on,apft=on,apqi=on gives. */
struct apemu_cpu apemu_cpu_default(void);

/*
 * Apply "name=value,name=value,..." to *cpu: names as in struct apemu_cpu
 * ("msa3" is taken for "msax3"), values on/off (also 1/0, yes/no,
 * true/false). "" changes nothing. -EINVAL for an unknown name, a bad value
 * or an empty element; *cpu is changed only when the whole text is valid.
 */
int apemu_cpu_parse(const char *text, struct apemu_cpu *cpu);

/* ---- the guest ---- */

struct apemu_guest;

/*
 * Create a guest: a memfd of mem bytes (0: APEMU_GUEST_DEFAULT_MEMORY; else
 * at least APEMU_GUEST_MIN_MEMORY and a multiple of 4096), the ring at
 * address 0, an eventfd for AP interruptions, and "guest-create" on the
 * control socket at socket_path (NULL: APEMU_GUEST_DEFAULT_SOCKET) with
 * cpu (NULL: apemu_cpu_default()).
 * Returns 0 and *ret (free with apemu_guest_free()). Errors: -EINVAL (bad
 * mem, or apemud refused the guest), -ENOENT / -ECONNREFUSED (no apemud
 * there), -EOPNOTSUPP (apemud has no guest support), -ENOMEM, other -errno.
 */
int apemu_guest_new(const char *socket_path, const struct apemu_cpu *cpu, size_t mem,
		    struct apemu_guest **ret);

/*
 * Create a guest on memory the caller has already: memfd holds guest
 * addresses [0, ram) (QEMU's memory-backend-memfd; shmem, sealed against
 * shrinking or sealable, at least ram bytes). The library puts its own
 * pages (its ring, QCI block, message area and data-plane area:
 * APEMU_GUEST_ADOPT_PAGES bytes of a memfd of its own) at guest address ram,
 * where the caller's guest cannot reach them, maps both end to end, and
 * hands both memfds to apemud ("guest-create" with "ram"). The caller keeps
 * memfd and must keep it open while the guest lives. Everything else and
 * the errors are those of apemu_guest_new(); -EINVAL also for a negative
 * memfd or a ram of 0 or not a multiple of 4096, or a memfd smaller than
 * ram.
 */
int apemu_guest_adopt(const char *socket_path, const struct apemu_cpu *cpu, int memfd, size_t ram,
		      struct apemu_guest **ret);

/* Guest address of the library's own pages: 0, or ram for an adopted memory. */
uint64_t apemu_guest_base(const struct apemu_guest *g);

/*
 * Destroy the guest: closes the connection, which makes apemud release the
 * open mdev (queues zeroized, CRYCB masks cleared) and forget the guest;
 * unmaps and closes the memory. Accepts NULL.
 */
void apemu_guest_free(struct apemu_guest *g);

/* The id apemud gave the guest, its CRYCB designation (origin | format bits)
 * and CRYCB format (0, 1 or 2), as "guest-create" answered. */
unsigned int apemu_guest_id(const struct apemu_guest *g);
uint32_t apemu_guest_crycbd(const struct apemu_guest *g);
int apemu_guest_format(const struct apemu_guest *g);

/*
 * apemud's message for the last request it refused on this guest's
 * connection (or a description of the last transport failure); "" when
 * there was none. Valid until the next call on g.
 */
const char *apemu_guest_message(const struct apemu_guest *g);

/*
 * Open the vfio_ap mediated device uuid for this guest ("mdev-open"): its
 * guest matrix is written into the guest's CRYCB. Returns 0, or 1 when the
 * device opened but the guest was not attached (the v8 ABI's silent case:
 * another mdev is attached already; nothing installed). Errors are the
 * kernel's: -ENODEV no such mdev, -EBUSY open already (by any guest),
 * -EPERM the guest has another mdev attached; -EINVAL a malformed uuid.
 */
int apemu_guest_open(struct apemu_guest *g, const char *uuid);

/* Close the open mdev ("mdev-release"): CRYCB masks cleared, the mdev's
 * queues zeroized. -EBADF when no mdev is open; -EINVAL when several are
 * (v8): name one with apemu_guest_release_mdev(). */
int apemu_guest_release(struct apemu_guest *g);

/* Close the open mdev uuid (NULL: the only one, as apemu_guest_release()).
 * -EBADF when that one is not open. */
int apemu_guest_release_mdev(struct apemu_guest *g, const char *uuid);

/* VFIO_DEVICE_GET_INFO of the open mdev (-EBADF: none open). */
struct apemu_vfio_info {
	uint32_t flags; /* VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET = 0x21 */
	uint32_t num_regions;
	uint32_t num_irqs;
};
int apemu_guest_get_info(struct apemu_guest *g, struct apemu_vfio_info *ret);

/* VFIO_DEVICE_GET_IRQ_INFO for index (0 request, 1 config change). -EINVAL
 * for an index apemud does not have, -EBADF: no mdev open. */
struct apemu_vfio_irq_info {
	uint32_t index;
	uint32_t count;
	uint32_t flags; /* VFIO_IRQ_INFO_EVENTFD = 1 */
};
int apemu_guest_get_irq_info(struct apemu_guest *g, unsigned int index,
			     struct apemu_vfio_irq_info *ret);

/*
 * VFIO_DEVICE_SET_IRQS (DATA_EVENTFD | ACTION_TRIGGER) for index: register
 * eventfd (apemud gets a duplicate; the caller keeps its descriptor), or
 * unregister with eventfd -1. -EBADF: no mdev open; -EINVAL: bad index.
 */
int apemu_guest_set_irq(struct apemu_guest *g, unsigned int index, int eventfd);

/* VFIO_DEVICE_RESET: zeroize the mdev's queues. -EIO when a queue did not
 * reset cleanly, -EBADF: no mdev open. */
int apemu_guest_reset(struct apemu_guest *g);

/*
 * The guest's CRYCB as apemud holds it ("crycb"): 256 bytes (facts 5.2)
 * into out, its designation into *ret_crycbd (may be NULL).
 */
int apemu_guest_crycb(struct apemu_guest *g, uint8_t out[256], uint32_t *ret_crycbd);

/* Guest memory (guest address 0 is the first byte) and its size, the
 * library's pages included; owned by g. */
void *apemu_guest_memory(struct apemu_guest *g, size_t *ret_size);

/*
 * The eventfd apemud signals for AP adapter interruptions (after a reply
 * arrives on a queue with interruptions on). Owned by g: read it, poll it,
 * do not close it.
 */
int apemu_guest_irq_fd(const struct apemu_guest *g);

/* The vCPU runs in problem state (AP instructions then raise a
 * privileged-operation exception). Default: supervisor state. */
void apemu_guest_set_problem_state(struct apemu_guest *g, bool on);

/*
 * Run the following instructions in the nested guest (vSIE) whose SIE
 * fields (struct apemu_nested_scb) sit at guest address scb; on false back
 * to the guest itself. Applies to apemu_guest_exec() and every helper.
 */
void apemu_guest_set_nested(struct apemu_guest *g, bool on, uint64_t scb);

/* ---- instructions ---- */

/* What an instruction left. When pgm or validity is non-zero nothing else
 * happened: registers and memory are unchanged, cc is 0. */
struct apemu_exec_result {
	int pgm;      /* 0, or the program interruption code (APEMU_PGM_*) */
	int cc;	      /* condition code 0-3 */
	int validity; /* nested: the validity intercept code guest 1 gets, or 0 */
};

/*
 * Execute one instruction through the ring: opcode APEMU_OPC_*, register
 * pairs r1/r2 (NQAP/DQAP), flags APEMU_RING_* (the guest's problem state
 * and nested settings are NOT added here: flags are sent as given), scb the
 * nested SCB address. gr: the 16 general registers, in and out (updated
 * only when the instruction completed without exception).
 * Returns 0 when the machine ran it (see *res, which may report an
 * exception), or -errno when it could not: -ECONNRESET apemud is gone,
 * -ETIMEDOUT no answer within 30 s (the guest is then unusable: -EIO
 * afterwards), or apemud's own error for the request (ring "error").
 */
int apemu_guest_exec(struct apemu_guest *g, uint16_t opcode, uint8_t r1, uint8_t r2, uint32_t flags,
		     uint64_t scb, uint64_t gr[16], struct apemu_exec_result *res);

/*
 * Kernel-shaped helpers (drivers/s390/crypto/ap_asm.h). Each executes one
 * instruction with the guest's problem-state and nested settings and fills
 * *ret: the exception or condition code, and the status word the machine
 * left in GR1 bits 32-63 (0 after an exception and after QCI).
 * Return 0 when the instruction ran (whatever its outcome), -errno as
 * apemu_guest_exec() when it did not; ret_ outputs other than *ret are
 * written only when the instruction completed (no exception).
 * apqn: adapter << 8 | domain.
 */
struct apemu_ap_result {
	int pgm;	 /* 0, or the program interruption code */
	int validity;	 /* nested guests: validity intercept, or 0 */
	int cc;		 /* condition code */
	uint32_t status; /* APEMU_AP_STATUS_* bits and response code */
};

/* TAPQ; with t (facilities test) *ret_info = GR2, the adapter's information
 * word (facts 7.4; may be NULL). */
int apemu_tapq(struct apemu_guest *g, uint16_t apqn, bool t, struct apemu_ap_result *ret,
	       uint64_t *ret_info);

/* RAPQ / ZAPQ (fbit: the F variant): discard requests and replies. */
int apemu_rapq(struct apemu_guest *g, uint16_t apqn, bool fbit, struct apemu_ap_result *ret);
int apemu_zapq(struct apemu_guest *g, uint16_t apqn, bool fbit, struct apemu_ap_result *ret);

/* AQIC: enable (isc 0-7; nib_addr: the notification byte's guest address,
 * APEMU_GUEST_NIB_ADDR is there for it) or disable interruptions (isc and
 * nib_addr ignored). */
int apemu_aqic(struct apemu_guest *g, uint16_t apqn, bool enable, uint8_t isc, uint64_t nib_addr,
	       struct apemu_ap_result *ret);

/* QCI: the 128-byte configuration block (stored at APEMU_GUEST_QCI_ADDR)
 * copied to info. */
int apemu_qci(struct apemu_guest *g, uint8_t info[128], struct apemu_ap_result *ret);

/*
 * NQAP of len bytes of msg with psmid: msg is copied to the message area
 * first. -EMSGSIZE when len does not fit there (more than memory size -
 * APEMU_GUEST_MSG_ADDR, at most 60 KiB). len 0 goes to the machine as it is
 * (a specification exception).
 */
int apemu_nqap(struct apemu_guest *g, uint16_t apqn, uint64_t psmid, const void *msg, size_t len,
	       struct apemu_ap_result *ret);

/*
 * DQAP into a len-byte buffer in the message area, copied to buf: what
 * arrived goes to buf, its length to *ret_len, the bytes of this reply
 * still to come (GR2) to *ret_residual, and when the reply was completed
 * (residual 0) its PSMID to *ret_psmid. Any ret_ pointer may be NULL.
 * -EMSGSIZE when len does not fit in the message area. len 0 goes to the
 * machine as it is (a specification exception).
 */
int apemu_dqap(struct apemu_guest *g, uint16_t apqn, uint64_t *ret_psmid, void *buf, size_t len,
	       size_t *ret_len, size_t *ret_residual, struct apemu_ap_result *ret);

#ifdef __cplusplus
}
#endif

#endif
