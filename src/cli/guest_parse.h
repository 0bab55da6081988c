/*
 * guest_parse - the input language of `apemu guest`: one instruction or
 * command per line (docs/apemu-cli.md, "apemu guest"). Pure: text in, a
 * struct guest_line out, or an error message naming the bad token.
 *
 * Tokens are separated by blanks (spaces, tabs). APQNs are AA.DDDD in hex
 * (exactly 2 and 4 digits, the domain at most 00ff); messages and data are
 * an even number of hex digits; other numbers are in C syntax (5, 0x1f,
 * 017). An empty line, or one whose first token starts with '#', is
 * GUEST_NOP.
 */
#ifndef APEMU_GUEST_PARSE_H
#define APEMU_GUEST_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum guest_op {
	GUEST_NOP,
	GUEST_TAPQ,    /* tapq APQN [t] */
	GUEST_RAPQ,    /* rapq APQN [f] */
	GUEST_ZAPQ,    /* zapq APQN [f] */
	GUEST_AQIC,    /* aqic APQN on [ISC [NIB-ADDR]] | aqic APQN off */
	GUEST_QCI,     /* qci */
	GUEST_NQAP,    /* nqap APQN HEX [PSMID] */
	GUEST_DQAP,    /* dqap APQN [BUFLEN] */
	GUEST_RAW,     /* raw OPC R1 R2 [GR0 .. GR15] */
	GUEST_CRYCB,   /* crycb */
	GUEST_INFO,    /* info */
	GUEST_RESET,   /* reset */
	GUEST_PROBLEM, /* problem on|off */
	GUEST_NESTED,  /* nested SCB-ADDR | nested off */
	GUEST_RELEASE, /* release [UUID] */
	GUEST_OPEN,    /* open UUID */
	GUEST_GUEST,   /* guest: the guest's id, CRYCB designation and format */
	GUEST_IRQ,     /* irq [TIMEOUT-MS]: interruptions signalled since the last irq */
	GUEST_READ,    /* read ADDR LEN: guest memory */
	GUEST_WRITE,   /* write ADDR HEX */
	GUEST_POLL,    /* poll APQN [BUFLEN]: DQAP again while requests are in progress */
};

#define GUEST_UUID_LEN 36

struct guest_line {
	enum guest_op op;
	const char *name; /* the command word, static */
	uint16_t apqn;
	bool on;	 /* tapq t, rapq/zapq f, aqic/problem/nested on */
	bool has_isc;	 /* aqic */
	uint8_t isc;	 /* aqic, 0-7 */
	bool has_addr;	 /* aqic NIB given */
	uint64_t addr;	 /* aqic NIB, nested SCB, read/write address */
	bool has_psmid;	 /* nqap */
	uint64_t psmid;	 /* nqap */
	bool has_len;	 /* dqap, irq */
	uint64_t len;	 /* dqap buffer length, read length, irq timeout (ms) */
	uint8_t *data;	 /* nqap message, write data (malloc'd; guest_line_clear frees) */
	size_t data_len; /* bytes in data */
	char uuid[GUEST_UUID_LEN + 1];
	uint16_t opcode; /* raw */
	uint8_t r1, r2;	 /* raw */
	uint64_t gr[16]; /* raw */
};

/*
 * Parse one line (without or with its trailing newline). Returns 0 and
 * fills *ret (clear it with guest_line_clear()), or -EINVAL with a message
 * in err naming the command and the bad or missing token, e.g.
 * `tapq: bad APQN "4.5" (expected AA.DDDD in hex, e.g. 04.0005)`;
 * -ENOMEM. *ret is cleared on failure.
 */
int guest_parse_line(const char *line, struct guest_line *ret, char *err, size_t errlen);

/* Is s a UUID (8-4-4-4-12 hex digits)? Then out = s in lower case. */
bool guest_parse_uuid(const char *s, char out[GUEST_UUID_LEN + 1]);

/* Free what a parsed line holds; accepts a cleared line. */
void guest_line_clear(struct guest_line *l);

#endif
