/*
 * guest_parse_test - the line language of `apemu guest`: every command
 * parses into exactly the values its line says, and every bad line is
 * refused with a message naming the command and the offending token (or
 * the missing one), leaving nothing allocated.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guest_parse.h"

static struct guest_line parse_ok(const char *text)
{
	struct guest_line l;
	char err[512];
	int r = guest_parse_line(text, &l, err, sizeof(err));

	if (r != 0)
		fail_msg("\"%s\": %d %s", text, r, err);
	return l;
}

/* The line is refused and the message contains each of the given pieces. */
static void parse_bad(const char *text, const char *piece1, const char *piece2)
{
	struct guest_line l;
	char err[512];

	assert_int_equal(guest_parse_line(text, &l, err, sizeof(err)), -EINVAL);
	if (!strstr(err, piece1) || (piece2 && !strstr(err, piece2)))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"/\"%s\"", text, err, piece1,
			 piece2 ? piece2 : "");
	assert_null(l.data);
	assert_int_equal(l.op, GUEST_NOP);
}

static void test_blank_and_comment_lines_are_nops(void **state)
{
	static const char *const nops[] = {"", "\n", "   \t \r\n", "# tapq 04.0005",
					   "  #anything at all, 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
					   "15 16 17 18 19 20 21 22"};

	(void)state;
	for (size_t i = 0; i < sizeof(nops) / sizeof(nops[0]); i++)
		assert_int_equal(parse_ok(nops[i]).op, GUEST_NOP);
}

static void test_tapq_apqn_and_t_bit(void **state)
{
	struct guest_line l = parse_ok("tapq 04.0005\n");

	(void)state;
	assert_int_equal(l.op, GUEST_TAPQ);
	assert_string_equal(l.name, "tapq");
	assert_int_equal(l.apqn, 0x0405);
	assert_false(l.on);
	l = parse_ok("  tapq\tFF.00aB  t  ");
	assert_int_equal(l.apqn, 0xffab);
	assert_true(l.on);
}

static void test_apqn_must_be_aa_dot_dddd_hex(void **state)
{
	(void)state;
	parse_bad("tapq 4.0005", "tapq: bad APQN \"4.0005\"", "AA.DDDD");
	parse_bad("tapq 04.005", "\"04.005\"", NULL);
	parse_bad("tapq 04.00005", "\"04.00005\"", NULL);
	parse_bad("tapq 04,0005", "\"04,0005\"", NULL);
	parse_bad("tapq 0g.0005", "\"0g.0005\"", NULL);
	parse_bad("tapq 04.0100", "\"04.0100\"", "above 0xff");
	parse_bad("tapq 0x04.0005", "\"0x04.0005\"", NULL);
	parse_bad("tapq", "tapq: missing APQN", "usage: tapq APQN [t]");
}

static void test_extra_and_wrong_flags_are_named(void **state)
{
	(void)state;
	parse_bad("tapq 04.0005 x", "unexpected argument \"x\"", "expected t");
	parse_bad("tapq 04.0005 t t", "unexpected argument \"t\"", NULL);
	parse_bad("rapq 04.0005 t", "rapq: unexpected argument \"t\"", "expected f");
	parse_bad("qci now", "qci: unexpected argument \"now\"", NULL);
	parse_bad("tapq 04.0005 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		  "too many arguments", "\"19\"");
}

static void test_rapq_zapq_f_bit(void **state)
{
	struct guest_line l = parse_ok("rapq 00.0000");

	(void)state;
	assert_int_equal(l.op, GUEST_RAPQ);
	assert_false(l.on);
	l = parse_ok("zapq 01.00ff f");
	assert_int_equal(l.op, GUEST_ZAPQ);
	assert_int_equal(l.apqn, 0x01ff);
	assert_true(l.on);
}

static void test_aqic_on_off_isc_nib(void **state)
{
	struct guest_line l = parse_ok("aqic 04.0005 on");

	(void)state;
	assert_int_equal(l.op, GUEST_AQIC);
	assert_true(l.on);
	assert_false(l.has_isc);
	assert_false(l.has_addr);
	l = parse_ok("aqic 04.0005 on 3 0x2000");
	assert_true(l.has_isc && l.has_addr);
	assert_int_equal(l.isc, 3);
	assert_int_equal(l.addr, 0x2000);
	l = parse_ok("aqic 04.0005 off");
	assert_false(l.on);
	parse_bad("aqic 04.0005", "aqic: missing on or off", NULL);
	parse_bad("aqic 04.0005 maybe", "expected on or off, got \"maybe\"", NULL);
	parse_bad("aqic 04.0005 on 8", "bad ISC \"8\"", "above 7");
	parse_bad("aqic 04.0005 on -1", "bad ISC \"-1\"", NULL);
	parse_bad("aqic 04.0005 on 1 0x2000z", "bad notification byte address \"0x2000z\"", NULL);
	parse_bad("aqic 04.0005 off 3", "unexpected argument \"3\"", NULL);
}

static void test_nqap_hex_message_of_any_even_length(void **state)
{
	static const uint8_t want[] = {0x00, 0x11, 0xab, 0xcd, 0xef};
	struct guest_line l = parse_ok("nqap 04.0005 0011ABcdef 0x1234567890abcdef");

	(void)state;
	assert_int_equal(l.op, GUEST_NQAP);
	assert_int_equal(l.data_len, sizeof(want));
	assert_memory_equal(l.data, want, sizeof(want));
	assert_true(l.has_psmid);
	assert_int_equal(l.psmid, 0x1234567890abcdefull);
	guest_line_clear(&l);
	l = parse_ok("nqap 04.0005 ff");
	assert_int_equal(l.data_len, 1);
	assert_false(l.has_psmid);
	guest_line_clear(&l);
	parse_bad("nqap 04.0005 abc", "nqap: bad message \"abc\"", "odd number of hex digits");
	parse_bad("nqap 04.0005 0x12", "bad message \"0x12\"", "'x' is not a hex digit");
	parse_bad("nqap 04.0005", "nqap: missing arguments after \"04.0005\"", NULL);
	parse_bad("nqap 04.0005 00 0x1ffffffffffffffff", "bad PSMID", NULL);
}

static void test_nqap_long_message(void **state)
{
	static char line[2 * 61440 + 64];
	struct guest_line l;

	(void)state;
	strcpy(line, "nqap 04.0005 ");
	for (size_t i = 0; i < 2 * 61440; i++)
		line[13 + i] = "0123456789abcdef"[i % 16];
	line[13 + 2 * 61440] = '\0';
	l = parse_ok(line);
	assert_int_equal(l.data_len, 61440);
	assert_int_equal(l.data[0], 0x01);
	assert_int_equal(l.data[61439], 0xef);
	guest_line_clear(&l);
}

static void test_dqap_buffer_length(void **state)
{
	struct guest_line l = parse_ok("dqap 04.0005");

	(void)state;
	assert_int_equal(l.op, GUEST_DQAP);
	assert_false(l.has_len);
	l = parse_ok("dqap 04.0005 0x10");
	assert_true(l.has_len);
	assert_int_equal(l.len, 16);
	parse_bad("dqap 04.0005 10k", "dqap: bad buffer length \"10k\"", NULL);
}

static void test_poll_takes_what_dqap_takes(void **state)
{
	struct guest_line l = parse_ok("poll 06.00ab");

	(void)state;
	assert_int_equal(l.op, GUEST_POLL);
	assert_string_equal(l.name, "poll");
	assert_int_equal(l.apqn, 0x06ab);
	assert_false(l.has_len);
	l = parse_ok("poll 06.00ab 500");
	assert_true(l.has_len);
	assert_int_equal(l.len, 500);
	parse_bad("poll", "poll: missing APQN", NULL);
	parse_bad("poll 6.ab", "poll: bad APQN \"6.ab\"", NULL);
	parse_bad("poll 06.00ab 1 2", "poll: ", NULL);
}

static void test_raw_names_numbers_and_registers(void **state)
{
	struct guest_line l = parse_ok("raw pqap 0 0 0x00800405 0 0");

	(void)state;
	assert_int_equal(l.op, GUEST_RAW);
	assert_int_equal(l.opcode, 0xb2af);
	assert_int_equal(l.gr[0], 0x00800405);
	l = parse_ok("raw 0xb2ad 2 4 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");
	assert_int_equal(l.opcode, 0xb2ad);
	assert_int_equal(l.r1, 2);
	assert_int_equal(l.r2, 4);
	for (int i = 0; i < 16; i++)
		assert_int_equal(l.gr[i], (uint64_t)i + 1);
	parse_bad("raw b2af 0 0", "raw: bad opcode \"b2af\"", NULL);
	parse_bad("raw pqap 16 0", "bad R1 \"16\"", NULL);
	parse_bad("raw pqap 0 x", "bad R2 \"x\"", NULL);
	parse_bad("raw pqap 0 0 1 2 zz", "bad GR2 \"zz\"", NULL);
	parse_bad("raw pqap 0", "raw: missing arguments", NULL);
	parse_bad("raw", "raw: missing OPC", NULL);
}

static void test_device_and_state_commands(void **state)
{
	struct guest_line l;

	(void)state;
	assert_int_equal(parse_ok("crycb").op, GUEST_CRYCB);
	assert_int_equal(parse_ok("info").op, GUEST_INFO);
	assert_int_equal(parse_ok("reset").op, GUEST_RESET);
	l = parse_ok("release");
	assert_int_equal(l.op, GUEST_RELEASE);
	assert_string_equal(l.uuid, "");
	l = parse_ok("release 0a1b2c3d-4e5f-6789-abcd-ef0123456789");
	assert_string_equal(l.uuid, "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
	parse_bad("release 42", "release: bad UUID \"42\"", NULL);
	parse_bad("open", "open: missing UUID", NULL);
	assert_int_equal(parse_ok("guest").op, GUEST_GUEST);
	l = parse_ok("problem on");
	assert_int_equal(l.op, GUEST_PROBLEM);
	assert_true(l.on);
	assert_false(parse_ok("problem off").on);
	parse_bad("problem", "problem: missing on or off", NULL);
	parse_bad("problem sometimes", "got \"sometimes\"", NULL);
	l = parse_ok("open 0A1B2C3D-4e5f-6789-abcd-ef0123456789");
	assert_int_equal(l.op, GUEST_OPEN);
	assert_string_equal(l.uuid, "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
	parse_bad("open 0a1b2c3d-4e5f-6789-abcd-ef012345678",
		  "open: bad UUID \"0a1b2c3d-4e5f-6789-abcd-ef012345678\"", NULL);
	parse_bad("open 0a1b2c3d_4e5f-6789-abcd-ef0123456789", "bad UUID", NULL);
	l = parse_ok("nested 0x20000");
	assert_int_equal(l.op, GUEST_NESTED);
	assert_true(l.on);
	assert_int_equal(l.addr, 0x20000);
	assert_false(parse_ok("nested off").on);
	parse_bad("nested on", "nested: bad SCB address \"on\"", NULL);
}

static void test_irq_read_write(void **state)
{
	struct guest_line l = parse_ok("irq");

	(void)state;
	assert_int_equal(l.op, GUEST_IRQ);
	assert_false(l.has_len);
	l = parse_ok("irq 250");
	assert_int_equal(l.len, 250);
	parse_bad("irq 600001", "irq: bad timeout \"600001\"", NULL);
	l = parse_ok("read 0x100 128");
	assert_int_equal(l.op, GUEST_READ);
	assert_int_equal(l.addr, 0x100);
	assert_int_equal(l.len, 128);
	parse_bad("read 0x100 65537", "read: bad length \"65537\"", NULL);
	l = parse_ok("write 0x20000 deadbeef");
	assert_int_equal(l.op, GUEST_WRITE);
	assert_int_equal(l.data_len, 4);
	guest_line_clear(&l);
	parse_bad("write 0x20000 dead beef", "write: unexpected argument \"beef\"", NULL);
}

static void test_unknown_instruction_is_named(void **state)
{
	(void)state;
	parse_bad("tapqq 04.0005", "unknown instruction \"tapqq\"", NULL);
	parse_bad("TAPQ 04.0005", "unknown instruction \"TAPQ\"", NULL);
}

static void test_numbers_are_strict(void **state)
{
	(void)state;
	parse_bad("dqap 04.0005 +5", "bad buffer length \"+5\"", NULL);
	parse_bad("dqap 04.0005 0x", "bad buffer length \"0x\"", NULL);
	parse_bad("dqap 04.0005 08", "bad buffer length \"08\"", NULL); /* octal */
	parse_bad("dqap 04.0005 99999999999999999999999", "bad buffer length", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blank_and_comment_lines_are_nops),
	    cmocka_unit_test(test_tapq_apqn_and_t_bit),
	    cmocka_unit_test(test_apqn_must_be_aa_dot_dddd_hex),
	    cmocka_unit_test(test_extra_and_wrong_flags_are_named),
	    cmocka_unit_test(test_rapq_zapq_f_bit),
	    cmocka_unit_test(test_aqic_on_off_isc_nib),
	    cmocka_unit_test(test_nqap_hex_message_of_any_even_length),
	    cmocka_unit_test(test_nqap_long_message),
	    cmocka_unit_test(test_dqap_buffer_length),
	    cmocka_unit_test(test_poll_takes_what_dqap_takes),
	    cmocka_unit_test(test_raw_names_numbers_and_registers),
	    cmocka_unit_test(test_device_and_state_commands),
	    cmocka_unit_test(test_irq_read_write),
	    cmocka_unit_test(test_unknown_instruction_is_named),
	    cmocka_unit_test(test_numbers_are_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
