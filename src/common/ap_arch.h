/*
 * ap_arch - the numbers of the AP architecture (the machine's, not apemu's
 * choices): the adapter and domain limits, the AP instructions' opcodes,
 * function codes and register bits, the status word, response codes and
 * program interruption codes (facts 7).
 *
 * The one definition of each: the core, apemud, libapemu-guest and the CLI
 * all use these. The public headers (include/apemu/) cannot include an
 * internal header and repeat some of them under an APEMU_ name;
 * src/guest/abi_check.c ties every such copy to the value here at compile
 * time.
 */
#ifndef APEMU_COMMON_AP_ARCH_H
#define APEMU_COMMON_AP_ARCH_H

#include <stdint.h>

/* Adapters and domains: 8-bit ids (with APXA; without it see below). */
#define AP_DEVICES 256
#define AP_DOMAINS 256
#define AP_APQNS   (AP_DEVICES * AP_DOMAINS)

#define AP_APQN(apid, apqi) ((unsigned int)(((apid)&0xff) << 8 | ((apqi)&0xff)))
#define AP_APQN_APID(apqn)  (((apqn) >> 8) & 0xff)
#define AP_APQN_APQI(apqn)  ((apqn)&0xff)

/* Without APXA the architecture limits adapters to 0-63 and domains to 0-15. */
#define AP_NO_APXA_MAX_APID 63
#define AP_NO_APXA_MAX_APQI 15

/* ap_functions bits: the high 32 bits of TAPQ GR2, MSB-0 bit n = 0x80000000 >> n. */
#define AP_FUNC_APSC  0x80000000u
#define AP_FUNC_MEX4K 0x40000000u
#define AP_FUNC_CRT4K 0x20000000u
#define AP_FUNC_COPRO 0x10000000u
#define AP_FUNC_ACCEL 0x08000000u
#define AP_FUNC_EP11  0x04000000u
#define AP_FUNC_APXA  0x02000000u
#define AP_FUNC_FULL  0x00800000u /* classification: full function set */

/* TAPQ GR2's QD field is 4 bits: a queue holds at most 15 requests. */
#define AP_QD_MAX 15

/* The longest message NQAP takes at all: the ML field counts 15 units of 4 KiB. */
#define AP_ML_UNIT 4096u
#define AP_MSG_MAX (15u * AP_ML_UNIT)

/* Instructions (the opcodes of the machine). */
#define AP_OPC_PQAP 0xb2af
#define AP_OPC_NQAP 0xb2ad
#define AP_OPC_DQAP 0xb2ae

/* PQAP function codes (GR0 bits 32-39). */
#define AP_FC_TAPQ 0x00
#define AP_FC_RAPQ 0x01
#define AP_FC_ZAPQ 0x02
#define AP_FC_AQIC 0x03
#define AP_FC_QCI  0x04

#define AP_GR0_FC(fc) ((uint64_t)(fc) << 24)

/* GR0 bits. */
#define AP_GR0_T_BIT	 0x00800000u /* TAPQ: facilities test (needs APFT) */
#define AP_GR0_F_BIT	 0x00400000u /* RAPQ/ZAPQ: full variant */
#define AP_GR0_RESERVED	 0x003f0000u /* bits 42-47 */
#define AP_GR0_NQAP_LAST 0x40000000u /* NQAP bit 33: last part (Linux sets it on every NQAP) */
#define AP_GR0_DQAP_B32	 0x80000000u /* DQAP bit 32: Linux sets it on every DQAP */

/* AQIC GR1: bit 16 IR (enable), bits 61-63 the ISC. */
#define AP_AQIC_IR  0x0000800000000000ull
#define AP_AQIC_ISC 0x7ull

/* QCI stores a block of this many bytes. */
#define AP_QCI_LEN 128

/* Status word (GR1 bits 32-63). */
#define AP_STATUS_E	  0x80000000u /* queue empty */
#define AP_STATUS_R	  0x40000000u /* replies waiting */
#define AP_STATUS_F	  0x20000000u /* queue full */
#define AP_STATUS_I	  0x01000000u /* interruptions enabled */
#define AP_STATUS_RC_MASK 0x00ff0000u /* bits 40-47: the response code */
#define AP_STATUS_RC(rc)  ((uint32_t)(rc) << 16)

/* Response codes. */
#define AP_RC_NORMAL		0x00
#define AP_RC_Q_NOT_AVAIL	0x01
#define AP_RC_RESET_IN_PROGRESS 0x02
#define AP_RC_DECONFIGURED	0x03
#define AP_RC_CHECKSTOPPED	0x04
#define AP_RC_BUSY		0x05
#define AP_RC_INVALID_ADDRESS	0x06
#define AP_RC_OTHERWISE_CHANGED 0x07
#define AP_RC_INVALID_GISA	0x08
#define AP_RC_Q_FULL		0x10 /* NQAP: queue full; DQAP: no reply pending */
#define AP_RC_MESSAGE_TOO_BIG	0x15

/* Program interruption codes. */
#define AP_PGM_OPERATION     0x0001
#define AP_PGM_PRIVILEGED    0x0002
#define AP_PGM_ADDRESSING    0x0005
#define AP_PGM_SPECIFICATION 0x0006

#endif
