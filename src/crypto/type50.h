/*
 * type50 - what an AP adapter does with one request: a CEXnA accelerator
 * executes a type 50 RSA request (modular exponentiation or CRT) and answers
 * with a type 80 reply; anything it cannot execute gets a type 82 error
 * reply. CCA and EP11 coprocessors answer every request with a type 82
 * error (apemu does not emulate their type 6 requests).
 *
 * Pure: bytes in, bytes out, no I/O, no logging, no locks. All state lives
 * in a struct t50_ctx, which one thread owns (a context must not be used by
 * two threads at once; any number of contexts may run in parallel).
 *
 * Message formats (vfio-ap-facts.md section 8; big-endian, every number
 * unsigned and right-justified in its field with leading zero bytes):
 *
 *   request header, 16 bytes: [1] 0x50, [2..3] total length of the request,
 *   [8..9] key-block type; the other header bytes are reserved and ignored.
 *
 *   key block  type    field   layout after the header            total
 *   MEB1       0x0001  128     exponent, modulus, message           400
 *   MEB2       0x0002  256     (3 fields of `field` bytes)          784
 *   MEB3       0x0003  512                                         1552
 *   CRB1       0x0011   64     p, q, dp, dq, u (5 x field),         464
 *   CRB2       0x0012  128     message (2 x field);                 912
 *   CRB3       0x0013  256     u = q^-1 mod p                      1808
 *
 *   type 80 reply: [1] 0x80, [2..3] length = 16 + R, [4] 0, the rest of
 *   the 16-byte header 0, then the result right-justified in R bytes, where
 *   R is the modulus field of a MEB (128/256/512) and the message field of
 *   a CRB (128/256/512). The driver only knows the caller's operand length
 *   L <= R and takes the last L bytes of the reply, so a result of any
 *   length L comes out right. The length never exceeds T50_REPLY_MAX (0x210,
 *   the most a CEX3A+ reply may be: Linux BUG()s on a longer one), nor
 *   16 + max_modulus_bytes.
 *
 *   type 82 error reply, 8 bytes: [1] 0x82, [4] reply code, the rest 0.
 *
 * Which reply code (checked in this order; the first that applies wins):
 *
 *   condition                                              code
 *   queue is CCA or EP11 (or an unknown mode)              0x20 message type
 *   len >= 2 and byte 1 is not 0x50                        0x20 message type
 *   len < 16 (no complete header)                          0x23 invalid message length
 *   header length field != len                             0x23 invalid message length
 *   key-block type not one of the six above                0x82 operand invalid
 *   len != the key block's total                           0x23 invalid message length
 *   the block's R above max_modulus_bytes (MEB3 and CRB3   0x84 operand size
 *     on a 256-byte CEX2A-like adapter)
 *   MEX: modulus 0 or 1                                    0x82 operand invalid
 *   MEX: modulus even                                      0x85 even modulus
 *   MEX: message >= modulus                                0x82 operand invalid
 *   CRT: p or q is 0, 1 or even                            0x82 operand invalid
 *   CRT: message >= p * q                                  0x82 operand invalid
 *   no context, reply_cap too small for the result, or     0x10 machine failure
 *     libcrypto failed (out of memory)
 *
 * How Linux (zcrypt convert_error) takes them: 0x23, 0x82, 0x84, 0x85 fail
 * the caller's request with EINVAL; 0x10 and 0x20 make the driver rescan
 * the AP bus and retry the request (EAGAIN), which is what a request sent
 * to the wrong kind of queue, or a failing adapter, deserves. Anything else
 * in a CRT key (u not the inverse, p or q not prime, dp wrong) is not
 * checked: the adapter computes the CRT formula on whatever it was given,
 * as the hardware does; the result is right whenever the key is.
 */
#ifndef APEMU_CRYPTO_TYPE50_H
#define APEMU_CRYPTO_TYPE50_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h" /* enum ap_mode */

#define T50_HDR_LEN	    16
#define T50_MAX_RESULT	    512				   /* bytes: a 4096-bit modulus */
#define T50_REPLY_MAX	    (T50_HDR_LEN + T50_MAX_RESULT) /* 0x210 */
#define T50_ERROR_REPLY_LEN 8

/* Message type codes (byte 1). */
#define T50_TYPE_REQUEST 0x50
#define T50_TYPE_REPLY	 0x80
#define T50_TYPE_ERROR	 0x82

/* Key-block types (bytes 8-9 of a type 50 request). */
#define T50_MEB1 0x0001
#define T50_MEB2 0x0002
#define T50_MEB3 0x0003
#define T50_CRB1 0x0011
#define T50_CRB2 0x0012
#define T50_CRB3 0x0013

/* Reply codes of a type 82 error reply (byte 4), zcrypt_error.h names. */
#define T50_RC_MACHINE_FAILURE	0x10
#define T50_RC_MESSAGE_TYPE	0x20
#define T50_RC_INVALID_MSG_LEN	0x23
#define T50_RC_OPERAND_INVALID	0x82
#define T50_RC_OPERAND_SIZE	0x84
#define T50_RC_EVEN_MOD_IN_OPND 0x85

struct t50_ctx;

/*
 * A context for one thread: libcrypto scratch space (BN_CTX) and a small
 * cache of Montgomery contexts keyed by modulus (p, q or n), so that a key
 * used again skips the set-up. The cache holds key material (the primes of
 * recent CRT requests) until it is evicted or the context is freed; freeing
 * wipes it. NULL when out of memory.
 */
struct t50_ctx *t50_ctx_new(void);
/* Accepts NULL. */
void t50_ctx_free(struct t50_ctx *ctx);

/*
 * Execute one request as a queue of the given mode would and write its
 * reply to reply[0 .. return value). Returns the reply length: 8 (type 82
 * error, see the table above) or 16 + R (type 80 success). Never reads
 * req beyond len, never writes reply beyond reply_cap, never crashes,
 * whatever the request bytes.
 *
 * max_modulus_bytes: the largest modulus the adapter takes, 512 for CEX3A
 * and later (all of apemu's CEX4A-CEX8A), 256 for CEX2A; larger values
 * count as 512. reply_cap should be at least T50_REPLY_MAX; with less, a
 * result that does not fit is answered with 0x10 (machine failure), and
 * with less than 8 nothing is written and 0 is returned (the only case of
 * 0). req may be NULL when len is 0; req and reply must not overlap.
 * ctx: this thread's context (NULL gets 0x10 replies for accelerator work).
 */
size_t t50_execute(enum ap_mode mode, unsigned int max_modulus_bytes, const uint8_t *req,
		   size_t len, uint8_t *reply, size_t reply_cap, struct t50_ctx *ctx);

#endif
