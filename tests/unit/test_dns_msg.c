/* Tests for the DNS message codec: parsing (real nsd responses, lies,
 * malformed records, EDNS), the builder (compression, truncation, marks,
 * EDNS, BADVERS), round trips and guard-page runs. The fixtures were
 * captured from NSD 4.6 serving tests/fuzz/corpus/dns_zone/example.com.zone;
 * the expected text is what dig 9.18 printed for the same answers. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_text.h"
#include "dns/dns_wire.h"
#include "test.h"

/* q00.bin */
static const uint8_t query_soa_edns[] = {
	0x10, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00,
	0x80, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08, 0x61, 0x62, 0x63, 0x64,
	0x65, 0x66, 0x67, 0x68,
};

/* q01.bin */
static const uint8_t query_soa[] = {
	0x10, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x06, 0x00, 0x01,
};

/* r00.bin */
static const uint8_t resp_soa_edns[] = {
	0x10, 0x00, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x06, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x06, 0x00, 0x01, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x27, 0x03, 0x6e, 0x73, 0x31, 0xc0, 0x0c, 0x0a,
	0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 0xc0, 0x0c,
	0x78, 0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x0e, 0x10,
	0x00, 0x12, 0x75, 0x00, 0x00, 0x00, 0x01, 0x2c, 0xc0, 0x0c, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x02, 0xc0, 0x29, 0xc0, 0x0c,
	0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e,
	0x73, 0x32, 0xc0, 0x0c, 0xc0, 0x29, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x35, 0xc0, 0x6a, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x36,
	0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
};

/* r02.bin */
static const uint8_t resp_mx[] = {
	0x10, 0x01, 0x84, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x04,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x0f, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x09, 0x00, 0x0a, 0x04, 0x6d, 0x61, 0x69, 0x6c,
	0xc0, 0x0c, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
	0x00, 0x1b, 0x00, 0x14, 0x04, 0x6d, 0x61, 0x69, 0x6c, 0x06, 0x62, 0x61,
	0x63, 0x6b, 0x75, 0x70, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x6e, 0x65, 0x74, 0x00, 0xc0, 0x0c, 0x00, 0x02, 0x00, 0x01, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x31, 0xc0, 0x0c, 0xc0,
	0x0c, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03,
	0x6e, 0x73, 0x32, 0xc0, 0x0c, 0xc0, 0x2b, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x00, 0x01, 0x2c, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x19, 0xc0, 0x65, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02,
	0x35, 0xc0, 0x77, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00,
	0x04, 0xc0, 0x00, 0x02, 0x36, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

/* r04.bin */
static const uint8_t resp_txt[] = {
	0x10, 0x02, 0x85, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x03,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x0f, 0x0e, 0x76, 0x3d, 0x73, 0x70, 0x66, 0x31,
	0x20, 0x6d, 0x78, 0x20, 0x2d, 0x61, 0x6c, 0x6c, 0xc0, 0x0c, 0x00, 0x10,
	0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x30, 0x0b, 0x68, 0x65, 0x6c,
	0x6c, 0x6f, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0x1d, 0x77, 0x69, 0x74,
	0x68, 0x20, 0x22, 0x71, 0x75, 0x6f, 0x74, 0x65, 0x73, 0x22, 0x20, 0x61,
	0x6e, 0x64, 0x20, 0x5c, 0x20, 0x62, 0x61, 0x63, 0x6b, 0x73, 0x6c, 0x61,
	0x73, 0x68, 0x05, 0x0b, 0x74, 0x61, 0x62, 0xff, 0xc0, 0x0c, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x31,
	0xc0, 0x0c, 0xc0, 0x0c, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
	0x00, 0x06, 0x03, 0x6e, 0x73, 0x32, 0xc0, 0x0c, 0xc0, 0x80, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x35,
	0xc0, 0x92, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x04,
	0xc0, 0x00, 0x02, 0x36, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00,
};

/* r10.bin */
static const uint8_t resp_srv[] = {
	0x10, 0x05, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
	0x04, 0x5f, 0x73, 0x69, 0x70, 0x04, 0x5f, 0x74, 0x63, 0x70, 0x07, 0x65,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00,
	0x21, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x0e,
	0x10, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x05, 0x13, 0xc4, 0x09, 0x73, 0x69,
	0x70, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x07, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0xc0, 0x16, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x31,
	0xc0, 0x16, 0xc0, 0x16, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
	0x00, 0x06, 0x03, 0x6e, 0x73, 0x32, 0xc0, 0x16, 0xc0, 0x5c, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x35,
	0xc0, 0x6e, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x04,
	0xc0, 0x00, 0x02, 0x36, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00,
};

/* r14.bin */
static const uint8_t resp_cname[] = {
	0x10, 0x07, 0x84, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x03,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00,
	0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x02, 0xc0, 0x10, 0xc0,
	0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0,
	0x00, 0x02, 0x01, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e,
	0x10, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x31, 0xc0, 0x10, 0xc0, 0x10, 0x00,
	0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73,
	0x32, 0xc0, 0x10, 0xc0, 0x4b, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e,
	0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x35, 0xc0, 0x5d, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x36, 0x00,
	0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* r18.bin */
static const uint8_t resp_referral[] = {
	0x10, 0x09, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
	0x03, 0x73, 0x75, 0x62, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00,
	0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x05, 0x02, 0x6e, 0x73,
	0xc0, 0x0c, 0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
	0x00, 0x04, 0xc0, 0x00, 0x02, 0x4d, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00,
	0x00, 0x80, 0x00, 0x00, 0x00,
};

/* r20.bin */
static const uint8_t resp_unknown[] = {
	0x10, 0x0a, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
	0x03, 0x75, 0x6e, 0x6b, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x63, 0x6f, 0x6d, 0x00, 0xff, 0xfe, 0x00, 0x01, 0xc0, 0x0c, 0xff,
	0xfe, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0x0a, 0x00, 0x00,
	0x01, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00,
	0x06, 0x03, 0x6e, 0x73, 0x31, 0xc0, 0x10, 0xc0, 0x10, 0x00, 0x02, 0x00,
	0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x32, 0xc0,
	0x10, 0xc0, 0x3d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00,
	0x04, 0xc0, 0x00, 0x02, 0x35, 0xc0, 0x4f, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x01, 0x51, 0x80, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x36, 0x00, 0x00, 0x29,
	0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* r22.bin */
static const uint8_t resp_nxdomain[] = {
	0x10, 0x0b, 0x84, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	0x02, 0x6e, 0x78, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03,
	0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0f, 0x00, 0x06,
	0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x27, 0x03, 0x6e, 0x73, 0x31,
	0xc0, 0x0f, 0x0a, 0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61, 0x73, 0x74, 0x65,
	0x72, 0xc0, 0x0f, 0x78, 0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c, 0x20, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x12, 0x75, 0x00, 0x00, 0x00, 0x01, 0x2c, 0x00,
	0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* r26.bin */
static const uint8_t resp_caa[] = {
	0x10, 0x0d, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
	0x03, 0x63, 0x61, 0x61, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x63, 0x6f, 0x6d, 0x00, 0x01, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x01,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x16, 0x00, 0x05, 0x69,
	0x73, 0x73, 0x75, 0x65, 0x6c, 0x65, 0x74, 0x73, 0x65, 0x6e, 0x63, 0x72,
	0x79, 0x70, 0x74, 0x2e, 0x6f, 0x72, 0x67, 0xc0, 0x10, 0x00, 0x02, 0x00,
	0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x31, 0xc0,
	0x10, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00,
	0x06, 0x03, 0x6e, 0x73, 0x32, 0xc0, 0x10, 0xc0, 0x4f, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x35, 0xc0,
	0x61, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x04, 0xc0,
	0x00, 0x02, 0x36, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
};

/* r28.bin */
static const uint8_t resp_ds[] = {
	0x10, 0x0e, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x64, 0x73, 0x32, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x2b, 0x00, 0x01, 0xc0, 0x0c, 0x00,
	0x2b, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x24, 0x4f, 0x66, 0x08,
	0x02, 0xe0, 0x6d, 0x44, 0xb8, 0x0b, 0x8f, 0x1d, 0x39, 0xa9, 0x5c, 0x0b,
	0x0d, 0x7c, 0x65, 0xd0, 0x84, 0x58, 0xe8, 0x80, 0x40, 0x9b, 0xbc, 0x68,
	0x34, 0x57, 0x10, 0x42, 0x37, 0xc7, 0xf8, 0xec, 0x8d, 0x00, 0x00, 0x29,
	0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* r32.bin */
static const uint8_t resp_txt2[] = {
	0x10, 0x10, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
	0x02, 0x74, 0x32, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03,
	0x63, 0x6f, 0x6d, 0x00, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x10,
	0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x21, 0x00, 0x0a, 0x73, 0x65,
	0x6d, 0x69, 0x3b, 0x63, 0x6f, 0x6c, 0x6f, 0x6e, 0x07, 0x28, 0x70, 0x61,
	0x72, 0x65, 0x6e, 0x29, 0x08, 0x63, 0x74, 0x6c, 0x00, 0x7f, 0x80, 0x20,
	0x78, 0x01, 0x61, 0x01, 0x62, 0xc0, 0x0f, 0x00, 0x02, 0x00, 0x01, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73, 0x31, 0xc0, 0x0f, 0xc0,
	0x0f, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03,
	0x6e, 0x73, 0x32, 0xc0, 0x0f, 0xc0, 0x59, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x35, 0xc0, 0x6b, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80, 0x00, 0x04, 0xc0, 0x00, 0x02,
	0x36, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const struct {
	const uint8_t *msg;
	size_t len;
	const char *dig;
} dig_cases[] = {
	{ resp_soa_edns, sizeof(resp_soa_edns),
	    "example.com.\t\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
	{ resp_mx, sizeof(resp_mx),
	    "example.com.\t\t3600\tIN\tMX\t10 mail.example.com.\n"
	    "example.com.\t\t3600\tIN\tMX\t20 mail.backup.example.net.\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "mail.example.com.\t300\tIN\tA\t192.0.2.25\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
	{ resp_txt, sizeof(resp_txt),
	    "example.com.\t\t3600\tIN\tTXT\t\"v=spf1 mx -all\"\n"
	    "example.com.\t\t3600\tIN\tTXT\t\"hello world\" \"with \\\"quotes\\\" and \\\\ backslash\" \"\\011tab\\255\"\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
	{ resp_srv, sizeof(resp_srv),
	    "_sip._tcp.example.com.\t3600\tIN\tSRV\t0 5 5060 sipserver.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
	{ resp_cname, sizeof(resp_cname),
	    "www.example.com.\t3600\tIN\tCNAME\texample.com.\n"
	    "example.com.\t\t3600\tIN\tA\t192.0.2.1\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
	{ resp_referral, sizeof(resp_referral),
	    "sub.example.com.\t3600\tIN\tNS\tns.sub.example.com.\n"
	    "ns.sub.example.com.\t3600\tIN\tA\t192.0.2.77\n" },
	{ resp_unknown, sizeof(resp_unknown),
	    "unk.example.com.\t3600\tIN\tTYPE65534 \\# 4 0A000001\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
	{ resp_nxdomain, sizeof(resp_nxdomain),
	    "example.com.\t\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300\n" },
	{ resp_caa, sizeof(resp_caa),
	    "caa.example.com.\t3600\tIN\tCAA\t0 issue \"letsencrypt.org\"\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
	{ resp_ds, sizeof(resp_ds),
	    "ds2.example.com.\t3600\tIN\tDS\t20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237 C7F8EC8D\n" },
	{ resp_txt2, sizeof(resp_txt2),
	    "t2.example.com.\t\t3600\tIN\tTXT\t\"\" \"semi;colon\" \"(paren)\" \"ctl\\000\\127\\128 x\" \"a\" \"b\"\n"
	    "example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	    "example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	    "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	    "ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n" },
};

static uint8_t arena_mem[DNS_ARENA_SIZE];
static uint8_t arena_mem2[DNS_ARENA_SIZE];

static int
parse(const void *p, size_t n, struct dns_msg *m)
{
	struct dns_arena a;

	dns_arena_init(&a, arena_mem, sizeof(arena_mem));
	return dns_msg_parse(p, n, m, &a);
}

/* Builds a message from a parsed one: same header, records and OPT. */
static int
rebuild(const struct dns_msg *m, uint8_t *buf, size_t max)
{
	struct dns_msg_builder b;

	if (dns_build_init(&b, buf, max) < 0)
		return DNS_ERR;
	b.id = m->id;
	b.flags = m->flags;
	b.opcode = m->opcode;
	b.rcode = m->rcode;
	for (unsigned i = 0; i < m->qdcount; i++)
		if (dns_build_question(&b, m->qd[i].name, m->qd[i].qtype,
		    m->qd[i].qclass) < 0)
			return DNS_ERR;
	for (int s = 0; s < 3; s++)
		for (unsigned i = 0; i < m->count[s]; i++)
			if (dns_build_rr(&b, (enum dns_section)s,
			    &m->rr[s][i]) < 0)
				return DNS_ERR;
	if (m->has_edns && dns_build_edns(&b, &m->edns) < 0)
		return DNS_ERR;
	return dns_build_finish(&b);
}

static int
rr_same(const struct dns_rr *a, const struct dns_rr *b)
{
	return a->owner_len == b->owner_len &&
	    memcmp(a->owner, b->owner, a->owner_len) == 0 &&
	    a->type == b->type && a->rclass == b->rclass && a->ttl == b->ttl &&
	    a->rdlen == b->rdlen &&
	    (a->rdlen == 0 || memcmp(a->rdata, b->rdata, a->rdlen) == 0);
}

static int
msg_same(const struct dns_msg *a, const struct dns_msg *b)
{
	if (a->id != b->id || a->flags != b->flags || a->opcode != b->opcode ||
	    a->rcode != b->rcode || a->qdcount != b->qdcount ||
	    a->has_edns != b->has_edns)
		return 0;
	for (unsigned i = 0; i < a->qdcount; i++)
		if (a->qd[i].name_len != b->qd[i].name_len ||
		    memcmp(a->qd[i].name, b->qd[i].name, a->qd[i].name_len) ||
		    a->qd[i].qtype != b->qd[i].qtype ||
		    a->qd[i].qclass != b->qd[i].qclass)
			return 0;
	for (int s = 0; s < 3; s++) {
		if (a->count[s] != b->count[s])
			return 0;
		for (unsigned i = 0; i < a->count[s]; i++)
			if (!rr_same(&a->rr[s][i], &b->rr[s][i]))
				return 0;
	}
	if (a->has_edns && (a->edns.udp_size != b->edns.udp_size ||
	    a->edns.version != b->edns.version ||
	    a->edns.flags != b->edns.flags ||
	    a->edns.opts_len != b->edns.opts_len ||
	    (a->edns.opts_len && memcmp(a->edns.opts, b->edns.opts,
	    a->edns.opts_len))))
		return 0;
	return 1;
}

/* decode(encode(decode(x))) == decode(x) */
static int
round_trip(const uint8_t *p, size_t n, size_t *built_len)
{
	static uint8_t buf[DNS_MSG_MAX];
	struct dns_arena a1, a2;
	struct dns_msg m1, m2;

	dns_arena_init(&a1, arena_mem, sizeof(arena_mem));
	dns_arena_init(&a2, arena_mem2, sizeof(arena_mem2));
	if (dns_msg_parse(p, n, &m1, &a1) < 0)
		return 0;
	int len = rebuild(&m1, buf, sizeof(buf));
	if (len < 0)
		return 0;
	if (built_len)
		*built_len = (size_t)len;
	if (dns_msg_parse(buf, (size_t)len, &m2, &a2) != len)
		return 0;
	return msg_same(&m1, &m2);
}

TEST(dns_msg_dig_fixtures)
{
	static char text[DNS_RR_TEXT_MAX];
	static char all[8192];

	for (size_t c = 0; c < sizeof(dig_cases) / sizeof(dig_cases[0]); c++) {
		struct dns_msg m;
		int r = parse(dig_cases[c].msg, dig_cases[c].len, &m);
		ok(r == (int)dig_cases[c].len, "case %zu parses: %s", c,
		    m.err ? m.err : "");
		if (r < 0)
			continue;
		size_t o = 0;
		all[0] = '\0';
		for (int s = 0; s < 3; s++) {
			for (unsigned i = 0; i < m.count[s]; i++) {
				int tl = dns_rr_to_text(&m.rr[s][i], text,
				    sizeof(text));
				if (tl < 0 || o + (size_t)tl + 2 > sizeof(all))
					break;
				memcpy(all + o, text, (size_t)tl);
				o += (size_t)tl;
				all[o++] = '\n';
				all[o] = '\0';
			}
		}
		ok(strcmp(all, dig_cases[c].dig) == 0,
		    "case %zu prints as dig does:\n%s---- want:\n%s", c, all,
		    dig_cases[c].dig);
		size_t blen = 0;
		ok(round_trip(dig_cases[c].msg, dig_cases[c].len, &blen),
		    "case %zu round trip", c);
		/* our compression is at least as good as NSD's here */
		ok(blen <= dig_cases[c].len, "case %zu rebuilt in %zu <= %zu",
		    c, blen, dig_cases[c].len);
	}
}

TEST(dns_msg_query)
{
	struct dns_msg m;
	size_t pos = 0;
	uint16_t code;
	struct slice data;
	char t[128];

	ok(parse(query_soa_edns, sizeof(query_soa_edns), &m) ==
	    (int)sizeof(query_soa_edns), "query parses");
	ok(m.id == 0x1000 && m.flags == DNS_FLAG_RD && m.opcode == 0 &&
	    m.rcode == 0, "header id %04x flags %04x", m.id, m.flags);
	ok(m.qdcount == 1 && m.qd[0].qtype == DNS_T_SOA &&
	    m.qd[0].qclass == DNS_C_IN, "question");
	ok(dns_question_to_text(&m.qd[0], t, sizeof(t)) > 0 &&
	    strcmp(t, ";example.com.\t\t\tIN\tSOA") == 0, "question text %s",
	    t);
	ok(m.count[0] == 0 && m.count[1] == 0 && m.count[2] == 0,
	    "OPT is not listed as a record");
	ok(m.has_edns && m.edns.udp_size == 1232 && m.edns.version == 0 &&
	    m.edns.flags == DNS_EDNS_DO, "EDNS fields");
	ok(dns_edns_opt_next(&m.edns, &pos, &code, &data) == 1 &&
	    code == 10 && data.n == 8 && memcmp(data.p, "abcdefgh", 8) == 0,
	    "cookie option");
	ok(dns_edns_opt_next(&m.edns, &pos, &code, &data) == 0, "one option");
	ok(dns_edns_payload(&m.edns) == 1232, "payload");
	m.edns.udp_size = 100;
	ok(dns_edns_payload(&m.edns) == 512, "payload at least 512");

	ok(parse(query_soa, sizeof(query_soa), &m) > 0 && !m.has_edns,
	    "query without EDNS");
}

/* A hand-made message: header, then body bytes. */
static size_t
mk(uint8_t *out, uint16_t flags, unsigned qd, unsigned an, unsigned ns,
    unsigned ar, const void *body, size_t n)
{
	dns_put16(out, 0xbeef);
	dns_put16(out + 2, flags);
	dns_put16(out + 4, (uint16_t)qd);
	dns_put16(out + 6, (uint16_t)an);
	dns_put16(out + 8, (uint16_t)ns);
	dns_put16(out + 10, (uint16_t)ar);
	memcpy(out + 12, body, n);
	return 12 + n;
}

#define Q_EX "\7example\3com\0\0\1\0\1"	/* 17 bytes */
#define OPT_RR(ttl3) "\0\0\x29\x04\xd0" ttl3 "\0\0"

static int
formerr(const void *body, size_t n, unsigned qd, unsigned an, unsigned ns,
    unsigned ar, const char **why)
{
	uint8_t buf[512];
	struct dns_msg m;
	size_t len = mk(buf, 0x0100, qd, an, ns, ar, body, n);
	int r = parse(buf, len, &m);

	*why = m.err ? m.err : "";
	return r == DNS_ERR && m.err_rcode == DNS_RCODE_FORMERR && m.hdr_ok &&
	    m.id == 0xbeef && m.flags == DNS_FLAG_RD;
}

TEST(dns_msg_malformed)
{
	const char *why = "";
	int f;
	struct dns_msg m;

	ok(parse("\1\2\3", 3, &m) == DNS_ERR && !m.hdr_ok &&
	    m.err_rcode == DNS_RCODE_FORMERR, "shorter than a header");
	f = formerr(Q_EX, 17, 1, 2, 0, 0, &why);
	ok(f && strstr(why, "counts"),
	    "an answer claimed, no bytes: %s", why);
	f = formerr(Q_EX, 17, 2, 0, 0, 0, &why);
	ok(f, "two questions claimed");
	f = formerr(Q_EX, 17, 0, 0, 0, 65535, &why);
	ok(f, "65535 additionals");
	f = formerr(Q_EX "x", 18, 1, 0, 0, 0, &why);
	ok(f && strstr(why, "after"),
	    "trailing byte: %s", why);
	f = formerr(Q_EX, 16, 1, 0, 0, 0, &why);
	ok(f, "question truncated");

	/* an A record with 5 and 3 bytes of rdata */
	f = formerr(Q_EX "\xc0\x0c\0\1\0\1\0\0\0\0\0\5\1\2\3\4\5", 17 + 17, 1,
	    1, 0, 0, &why);
	ok(f && strstr(why, "type"), "A of 5 bytes: %s", why);
	f = formerr(Q_EX "\xc0\x0c\0\1\0\1\0\0\0\0\0\3\1\2\3", 17 + 15, 1,
	    1, 0, 0, &why);
	ok(f, "A of 3 bytes");
	/* rdlength past the end */
	f = formerr(Q_EX "\xc0\x0c\0\1\0\1\0\0\0\0\0\5\1\2\3\4", 17 + 16, 1,
	    1, 0, 0, &why);
	ok(f && strstr(why, "truncated"), "rdata cut: %s", why);
	/* MX whose name runs past its rdata (rdlength 4: pref + "\1a") */
	f = formerr(Q_EX "\xc0\x0c\0\x0f\0\1\0\0\0\0\0\4\0\1\1a\0", 17 + 17, 1,
	    1, 0, 0, &why);
	ok(f, "MX name past rdata");
	/* MX with a byte after its name */
	f = formerr(Q_EX "\xc0\x0c\0\x0f\0\1\0\0\0\0\0\4\0\1\0x", 17 + 16, 1,
	    1, 0, 0, &why);
	ok(f && strstr(why, "longer"), "MX extra byte: %s",
	    why);
	/* TXT with no strings, and a string longer than the rdata */
	f = formerr(Q_EX "\xc0\x0c\0\x10\0\1\0\0\0\0\0\0", 17 + 12, 1, 1, 0,
	    0, &why);
	ok(f, "empty TXT");
	f = formerr(Q_EX "\xc0\x0c\0\x10\0\1\0\0\0\0\0\2\5a", 17 + 14, 1, 1,
	    0, 0, &why);
	ok(f, "TXT string past rdata");
	/* SOA with a forward pointer in rdata */
	f = formerr(Q_EX "\xc0\x0c\0\6\0\1\0\0\0\0\0\x18\xc0\x40\xc0\x0c"
	    "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5", 17 + 36, 1, 1, 0, 0,
	    &why);
	ok(f && strstr(why, "name"), "forward pointer in SOA: %s", why);
	/* a bad owner */
	f = formerr(Q_EX "\x41" "a\0\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 17 + 17, 1,
	    1, 0, 0, &why);
	ok(f, "owner with label type 0x40");

	/* OPT: in the answer section, twice, owned by a non-root name */
	f = formerr(Q_EX OPT_RR("\0\0\0\0"), 17 + 11, 1, 1, 0, 0, &why);
	ok(f &&
	    strstr(why, "OPT"), "OPT in answer: %s", why);
	f = formerr(Q_EX OPT_RR("\0\0\0\0") OPT_RR("\0\0\0\0"), 17 + 22, 1, 0,
	    0, 2, &why);
	ok(f && strstr(why, "OPT"), "two OPTs: %s", why);
	f = formerr(Q_EX "\xc0\x0c\0\x29\x04\xd0\0\0\0\0\0\0", 17 + 12, 1, 0,
	    0, 1, &why);
	ok(f && strstr(why, "root"), "OPT owner: %s", why);
	f = formerr(Q_EX "\0\0\x29\x04\xd0\0\0\0\0\0\5\0\1\0\4\0", 17 + 16, 1,
	    0, 0, 1, &why);
	ok(f && strstr(why, "EDNS"), "bad option: %s", why);
}

TEST(dns_msg_odd_but_valid)
{
	uint8_t buf[512];
	struct dns_msg m;
	size_t n;

	/* dynamic update style: class ANY, empty rdata for an A record */
	n = mk(buf, 0x2800, 1, 0, 1, 0,
	    Q_EX "\xc0\x0c\0\1\0\xff\0\0\0\0\0\0", 17 + 12);
	ok(parse(buf, n, &m) == (int)n && m.opcode == DNS_OP_UPDATE &&
	    m.count[1] == 1 && m.rr[1][0].rdlen == 0, "update delete RRset");
	ok(round_trip(buf, n, NULL), "update round trip");

	/* unknown type: pointer-like bytes stay as they are */
	n = mk(buf, 0x8000, 1, 1, 0, 0,
	    Q_EX "\xc0\x0c\xff\x00\0\1\0\0\0\x3c\0\4\xc0\x0c\xc0\x0c", 17 + 16);
	ok(parse(buf, n, &m) == (int)n && m.rr[0][0].type == 0xff00 &&
	    m.rr[0][0].rdlen == 4 &&
	    memcmp(m.rr[0][0].rdata, "\xc0\x0c\xc0\x0c", 4) == 0,
	    "unknown rdata is opaque");
	ok(round_trip(buf, n, NULL), "unknown type round trip");

	/* a compressed SOA is stored decompressed */
	n = mk(buf, 0x8400, 1, 1, 0, 0,
	    Q_EX "\xc0\x0c\0\6\0\1\0\0\0\0\0\x21\3ns1\xc0\x0c\4host\xc0\x0c"
	    "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5", 17 + 45);
	ok(parse(buf, n, &m) == (int)n && m.rr[0][0].rdlen == 17 + 18 + 20 &&
	    memcmp(m.rr[0][0].rdata, "\3ns1\7example\3com\0\4host", 21) == 0,
	    "SOA decompressed in rdata");

	/* extended rcode: OPT ext 1 + header 0 = 16 BADVERS */
	n = mk(buf, 0x8000, 1, 0, 0, 1, Q_EX OPT_RR("\1\0\0\0"), 17 + 11);
	ok(parse(buf, n, &m) == (int)n && m.rcode == DNS_RCODE_BADVERS &&
	    m.edns.ext_rcode == 1, "extended rcode %u", m.rcode);
	ok(round_trip(buf, n, NULL), "extended rcode round trip");

	/* OPT before another additional record, and version 1 */
	n = mk(buf, 0, 1, 0, 0, 2, Q_EX OPT_RR("\0\1\x80\0")
	    "\xc0\x0c\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 17 + 11 + 16);
	ok(parse(buf, n, &m) == (int)n && m.count[2] == 1 && m.has_edns &&
	    m.edns.version == 1 && m.edns.flags == DNS_EDNS_DO,
	    "OPT anywhere in additional, version 1");

	/* all header bits */
	n = mk(buf, 0xffff, 0, 0, 0, 0, "", 0);
	ok(parse(buf, n, &m) == 12 && m.flags == DNS_FLAG_MASK &&
	    m.opcode == 15 && m.rcode == 15, "all header bits");
	ok(round_trip(buf, n, NULL), "header bits round trip");
}

TEST(dns_msg_arena_full)
{
	static uint8_t small[200];
	struct dns_arena a;
	struct dns_msg m;

	dns_arena_init(&a, small, sizeof(small));
	ok(dns_msg_parse(resp_mx, sizeof(resp_mx), &m, &a) == DNS_ERR &&
	    m.err_rcode == DNS_RCODE_SERVFAIL && m.hdr_ok,
	    "arena exhausted: SERVFAIL");
	/* the arena is bounded: every size either works or fails cleanly */
	for (size_t cap = 0; cap < sizeof(small); cap++) {
		dns_arena_init(&a, small, cap);
		int r = dns_msg_parse(resp_mx, sizeof(resp_mx), &m, &a);
		ok(r == DNS_ERR || r == (int)sizeof(resp_mx), "cap %zu", cap);
		ok(a.used <= cap, "used %zu <= cap %zu", a.used, cap);
	}
}

TEST(dns_msg_guard_pages)
{
	struct dns_msg m;

	for (size_t c = 0; c < sizeof(dig_cases) / sizeof(dig_cases[0]); c++) {
		const uint8_t *msg = dig_cases[c].msg;
		size_t n = dig_cases[c].len;
		/* whole, then every prefix: nothing reads past the end */
		ok(parse(test_guard(msg, n), n, &m) == (int)n,
		    "case %zu at the page end", c);
		int bad = 0;
		for (size_t k = 0; k < n; k++)
			if (parse(test_guard(msg, k), k, &m) != DNS_ERR)
				bad++;
		ok(bad == 0, "case %zu: every prefix refused", c);
		/* single-byte corruptions: parse must not crash, and what
		 * parses must round trip */
		uint8_t copy[1024];
		memcpy(copy, msg, n);
		int rt_bad = 0;
		for (size_t k = 0; k < n; k++) {
			uint8_t save = copy[k];
			copy[k] ^= 0x5a;
			const uint8_t *g = test_guard(copy, n);
			if (parse(g, n, &m) == (int)n && !round_trip(g, n, NULL))
				rt_bad++;
			copy[k] = save;
		}
		ok(rt_bad == 0, "case %zu: mutants round trip", c);
	}
}

static void
mk_name(const char *s, uint8_t out[DNS_NAME_MAX])
{
	dns_name_from_text(s, strlen(s), NULL, out, NULL);
}

static struct dns_rr
mk_rr(const uint8_t *owner, uint16_t type, const char *rdtext,
    uint8_t *rdbuf)
{
	struct dns_rr rr;
	int len = dns_rdata_from_text(type, rdtext, strlen(rdtext), NULL, rdbuf,
	    1024, NULL);

	rr.owner = owner;
	rr.owner_len = (uint16_t)dns_name_len(owner, DNS_NAME_MAX);
	rr.type = type;
	rr.rclass = DNS_C_IN;
	rr.ttl = 3600;
	rr.rdata = rdbuf;
	rr.rdlen = (uint16_t)(len < 0 ? 0 : len);
	return rr;
}

/* Does buf[0..n) contain needle? */
static int
contains(const uint8_t *buf, size_t n, const void *needle, size_t k)
{
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(buf + i, needle, k) == 0)
			return 1;
	return 0;
}

TEST(dns_build_compression)
{
	uint8_t buf[512], owner[DNS_NAME_MAX], rd[6][1024];
	struct dns_msg_builder b;
	struct dns_msg m;

	mk_name("example.com.", owner);
	dns_build_init(&b, buf, sizeof(buf));
	b.id = 7;
	b.flags = DNS_FLAG_QR | DNS_FLAG_AA;
	ok(dns_build_question(&b, owner, DNS_T_MX, DNS_C_IN) == DNS_OK, "q");
	struct dns_rr mx = mk_rr(owner, DNS_T_MX, "10 mail.example.com.", rd[0]);
	struct dns_rr srv = mk_rr(owner, DNS_T_SRV, "0 5 5060 sip.example.com.",
	    rd[1]);
	struct dns_rr soa = mk_rr(owner, DNS_T_SOA, "ns1.example.com. "
	    "hostmaster.example.com. 1 2 3 4 5", rd[2]);
	struct dns_rr ns = mk_rr(owner, DNS_T_NS, "ns1.example.com.", rd[3]);
	ok(dns_build_rr(&b, DNS_SEC_ANSWER, &mx) == DNS_OK, "MX");
	ok(dns_build_rr(&b, DNS_SEC_ANSWER, &srv) == DNS_OK, "SRV");
	ok(dns_build_rr(&b, DNS_SEC_AUTHORITY, &soa) == DNS_OK, "SOA");
	ok(dns_build_rr(&b, DNS_SEC_AUTHORITY, &ns) == DNS_OK, "NS");
	int n = dns_build_finish(&b);
	/* header 12, question 17, MX 2+10+2+5+2, SRV 2+10+6+17,
	 * SOA 2+10+(6+13+20), NS 2+10+2 */
	ok(n == 12 + 17 + 21 + 35 + 51 + 14, "compressed size %d", n);
	/* MX and SOA names compressed, SRV target written out in full */
	ok(contains(buf, (size_t)n, "\3sip\7example\3com\0", 17),
	    "SRV target not compressed");
	ok(!contains(buf, (size_t)n, "\4mail\7example", 13),
	    "MX exchange compressed");
	ok(parse(buf, (size_t)n, &m) == n && m.count[0] == 2 &&
	    m.count[1] == 2 && rr_same(&m.rr[0][0], &mx) &&
	    rr_same(&m.rr[0][1], &srv) && rr_same(&m.rr[1][0], &soa) &&
	    rr_same(&m.rr[1][1], &ns), "parses back to the same records");
	ok(m.id == 7 && m.flags == (DNS_FLAG_QR | DNS_FLAG_AA), "header");

	/* case is kept: an owner in other case is not compressed onto it */
	uint8_t upper[DNS_NAME_MAX];
	mk_name("EXAMPLE.com.", upper);
	dns_build_init(&b, buf, sizeof(buf));
	dns_build_question(&b, owner, DNS_T_A, DNS_C_IN);
	struct dns_rr a = mk_rr(upper, DNS_T_A, "192.0.2.1", rd[4]);
	ok(dns_build_rr(&b, DNS_SEC_ANSWER, &a) == DNS_OK, "A");
	n = dns_build_finish(&b);
	ok(parse(buf, (size_t)n, &m) == n &&
	    memcmp(m.rr[0][0].owner, "\7EXAMPLE\3com", 12) == 0 &&
	    memcmp(m.qd[0].name, "\7example\3com", 12) == 0,
	    "case preserved in both names");
	ok(n == 12 + 17 + 8 + 2 + 10 + 4, "suffix com. shared: %d", n);
}

TEST(dns_build_truncation)
{
	uint8_t buf[512], owner[DNS_NAME_MAX], rd[4];
	struct dns_msg_builder b;
	struct dns_msg m;
	int added = 0, r = DNS_OK;

	mk_name("a-long-name-to-fill-the-message.example.com.", owner);
	dns_build_init(&b, buf, DNS_UDP_MAX);
	dns_build_question(&b, owner, DNS_T_A, DNS_C_IN);
	ok(dns_build_reserve(&b, 11) == DNS_OK, "reserve room for OPT");
	for (int i = 0; i < 100; i++) {
		struct dns_rr a = mk_rr(owner, DNS_T_A, "192.0.2.1", rd);
		rd[3] = (uint8_t)i;
		size_t before = b.len;
		r = dns_build_rr(&b, DNS_SEC_ANSWER, &a);
		if (r != DNS_OK) {
			ok(b.len == before && b.count[0] == added,
			    "a failed add changes nothing");
			break;
		}
		added++;
	}
	ok(r == DNS_FULL, "512 bytes fill up: %d records", added);
	/* each A is 2 + 10 + 4 = 16 bytes after the question (12 + 50) */
	ok(added == (512 - 11 - 62) / 16, "as many as fit: %d", added);
	struct dns_edns e = { 1232, 0, 0, 0, NULL, 0 };
	ok(dns_build_edns(&b, &e) == DNS_OK, "the reserved OPT still fits");
	b.flags |= DNS_FLAG_TC;
	int n = dns_build_finish(&b);
	ok(n > 0 && n <= 512, "message within 512: %d", n);
	ok(parse(buf, (size_t)n, &m) == n && m.count[0] == added &&
	    (m.flags & DNS_FLAG_TC) && m.has_edns, "truncated message parses");

	/* cut at an RRset boundary: the second RRset does not fit whole */
	uint8_t o2[DNS_NAME_MAX];
	mk_name("other.example.com.", o2);
	dns_build_init(&b, buf, 100);
	dns_build_question(&b, owner, DNS_T_A, DNS_C_IN);
	struct dns_rr a1 = mk_rr(owner, DNS_T_A, "192.0.2.1", rd);
	ok(dns_build_rr(&b, DNS_SEC_ANSWER, &a1) == DNS_OK, "first RRset");
	struct dns_build_mark mk = dns_build_mark(&b);
	size_t len0 = b.len;
	int full = 0;
	for (int i = 0; i < 5 && !full; i++) {
		uint8_t rd2[4];
		struct dns_rr a2 = mk_rr(o2, DNS_T_A, "192.0.2.2", rd2);
		full = dns_build_rr(&b, DNS_SEC_ANSWER, &a2) == DNS_FULL;
	}
	ok(full, "second RRset did not fit");
	dns_build_rollback(&b, &mk);
	b.flags |= DNS_FLAG_TC;
	n = dns_build_finish(&b);
	ok((size_t)n == len0 && parse(buf, (size_t)n, &m) == n &&
	    m.count[0] == 1, "rolled back to the RRset boundary");
	/* after the rollback the compression table forgets o2: adding it
	 * to a bigger message again still parses */
	ok(round_trip(buf, (size_t)n, NULL), "rolled-back message round trip");
}

TEST(dns_build_rules)
{
	uint8_t buf[512], name[DNS_NAME_MAX], rd[4];
	struct dns_msg_builder b;
	struct dns_msg m;
	struct dns_edns e = { 4096, 0, 0, DNS_EDNS_DO, NULL, 0 };

	ok(dns_build_init(&b, buf, 11) == DNS_ERR, "max < 12 refused");
	static uint8_t big[70000];
	ok(dns_build_init(&b, big, sizeof(big)) == DNS_OK &&
	    b.max == DNS_MSG_MAX, "max clamped to 65535");

	mk_name("example.com.", name);
	struct dns_rr a = mk_rr(name, DNS_T_A, "192.0.2.1", rd);
	dns_build_init(&b, buf, sizeof(buf));
	ok(dns_build_rr(&b, DNS_SEC_AUTHORITY, &a) == DNS_OK, "authority");
	ok(dns_build_rr(&b, DNS_SEC_ANSWER, &a) == DNS_ERR,
	    "answer after authority refused");
	ok(dns_build_question(&b, name, 1, 1) == DNS_ERR,
	    "question after records refused");
	ok(dns_build_edns(&b, &e) == DNS_OK, "OPT");
	ok(dns_build_edns(&b, &e) == DNS_ERR, "second OPT refused");
	ok(dns_build_rr(&b, DNS_SEC_ADDITIONAL, &a) == DNS_OK,
	    "additional after OPT (TSIG goes last)");

	/* an extended rcode needs an OPT RR */
	dns_build_init(&b, buf, sizeof(buf));
	b.rcode = DNS_RCODE_BADVERS;
	ok(dns_build_finish(&b) == DNS_ERR, "BADVERS without OPT refused");

	/* the BADVERS answer to a query with EDNS version 1 */
	static const uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0,
		0, 1, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
		0, 0, 1, 0, 1, 0, 0, 41, 0x10, 0, 0, 1, 0, 0, 0, 0 };
	ok(parse(q, sizeof(q), &m) == (int)sizeof(q) && m.has_edns &&
	    m.edns.version == 1, "query with EDNS version 1");
	dns_build_init(&b, buf, dns_edns_payload(&m.edns));
	b.id = m.id;
	b.flags = DNS_FLAG_QR | (m.flags & DNS_FLAG_RD);
	b.rcode = DNS_RCODE_BADVERS;
	dns_build_question(&b, m.qd[0].name, m.qd[0].qtype, m.qd[0].qclass);
	struct dns_edns ours = { 1232, 0, DNS_EDNS_VERSION, 0, NULL, 0 };
	ok(dns_build_edns(&b, &ours) == DNS_OK, "our OPT");
	int n = dns_build_finish(&b);
	ok(n > 0 && buf[3] == 0 /* header rcode bits 0 */, "header rcode 0");
	ok(parse(buf, (size_t)n, &m) == n && m.rcode == DNS_RCODE_BADVERS &&
	    m.edns.version == 0 && m.id == 0x1234, "BADVERS response");

	/* an OPT with options round trips */
	static const uint8_t opts[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8,
		0, 12, 0, 0 };
	struct dns_edns eo = { 1232, 0, 0, DNS_EDNS_DO, opts, sizeof(opts) };
	dns_build_init(&b, buf, sizeof(buf));
	b.rcode = 23;	/* BADCOOKIE */
	ok(dns_build_edns(&b, &eo) == DNS_OK, "OPT with options");
	n = dns_build_finish(&b);
	ok(parse(buf, (size_t)n, &m) == n && m.rcode == 23 &&
	    m.edns.opts_len == sizeof(opts) &&
	    memcmp(m.edns.opts, opts, sizeof(opts)) == 0, "options kept");
	size_t pos = 0;
	uint16_t code;
	struct slice d;
	int k = 0;
	while (dns_edns_opt_next(&m.edns, &pos, &code, &d) == 1)
		k++;
	ok(k == 2 && code == 12 && d.n == 0, "two options, padding last");

	/* an OPT that does not fit */
	dns_build_init(&b, buf, 20);
	ok(dns_build_edns(&b, &eo) == DNS_FULL && b.len == 12,
	    "OPT too big: DNS_FULL");
	ok(dns_build_reserve(&b, 9) == DNS_FULL, "reserve too much");
}

TEST(dns_build_roundtrip_many)
{
	/* queries and responses of every captured kind */
	for (size_t c = 0; c < sizeof(dig_cases) / sizeof(dig_cases[0]); c++) {
		size_t blen;
		ok(round_trip(dig_cases[c].msg, dig_cases[c].len, &blen),
		    "round trip %zu", c);
	}
	ok(round_trip(query_soa_edns, sizeof(query_soa_edns), NULL),
	    "query with EDNS option round trip");
	ok(round_trip(query_soa, sizeof(query_soa), NULL), "plain query");
}

TEST(dns_tcp_framing)
{
	uint8_t f[20] = { 0, 3, 'a', 'b', 'c', 'x' };
	struct slice s;

	ok(dns_tcp_frame(f, 0, &s) == PARSE_AGAIN, "empty");
	ok(dns_tcp_frame(f, 1, &s) == PARSE_AGAIN, "half a length");
	ok(dns_tcp_frame(f, 4, &s) == PARSE_AGAIN, "partial message");
	ok(dns_tcp_frame(f, 6, &s) == 5 && s.n == 3 && s.p == f + 2,
	    "whole frame, extra byte left");
	f[1] = 0;
	ok(dns_tcp_frame(f, 6, &s) == PARSE_ERR, "length 0");
}
