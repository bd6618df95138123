/* dot.h - the dot-stuffed body of SMTP DATA (RFC 5321 §4.1.1.4, §4.5.2) and
 * of POP3 RETR/TOP (RFC 1939 §3): an incremental decoder for a server that
 * receives one, an encoder for one that sends one. Lines, commands and
 * replies are not here (core/line.h); nor is what a server does with a
 * bare LF or a message too large (it reads the counts below and answers).
 *
 * Both are pure functions over bytes with explicit, resumable state (the
 * nginx way, not a re-parse): feed any split of the input, one call per read,
 * and the result is the same as for the whole. Output goes into a bounded
 * array the caller owns (a spool buffer, conn_reserve's space); a call never
 * writes past its bound and stops early when the next byte would not fit.
 *
 * Lines end at CRLF and nowhere else. The body ends only at CRLF "." CRLF
 * (the message's last CRLF is part of the body; ".\r\n" at the very start is
 * the empty body). A bare LF ("\n" not after CR) or a bare CR ("\r" not before
 * LF) is data that ends no line, so "\n.\n", "\r.\n", "\n.\r\n", "\r\n.\n" and
 * "\r.\r\n" never end DATA: a server reading them as an end while the next
 * hop does not, or the other way round, is the SMTP smuggling of 2023. A '.'
 * starting a line (after CRLF) is dropped when the line has more bytes
 * ("..x" -> ".x", ".x" -> "x"); a '.' after a bare LF is kept as it is.
 */
#ifndef CAMADA_DOT_H
#define CAMADA_DOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h" /* BUF_WUR */

/* Decoder options. */
enum {
	/* Write each bare LF and each bare CR as CRLF (the counts below still
	 * see them). It changes bytes only: a line still begins only after a
	 * CRLF that came as CRLF, and only the real CRLF "." CRLF ends. */
	DOT_DEC_NORMALISE = 1 << 0,
};

/* A bound on the output one input byte can make (decoding with NORMALISE:
 * a held bare CR written as CRLF, then the byte after it). dot_decode and
 * dot_encode always progress when the output has this much room. */
#define DOT_STEP_MAX 4

struct dot_dec {
	/* Body bytes decoded (as written, normalised or not), counted past
	 * max_size too. */
	uint64_t size;
	uint64_t max_size;	/* 0: no limit */
	uint64_t bare_lf;	/* LF bytes not after a CR */
	uint64_t bare_cr;	/* CR bytes not before a LF */
	bool too_large;		/* past max_size: nothing more written */
	uint8_t state;		/* private */
	unsigned opts;		/* private */
};

/* Starts a body: call after the 354 reply (or at the first byte after
 * "+OK" for a client reading RETR). max_size 0 means no limit. */
void dot_dec_init(struct dot_dec *d, uint64_t max_size, unsigned opts);

/*
 * Decodes p[0..n) into out[0..cap), writing at out + *outn and adding to
 * *outn the bytes written (*outn <= cap: set it to 0 for an empty out, or
 * keep adding into the same array).
 *
 * Returns the bytes of p consumed. Less than n means either the end was
 * reached (dot_dec_done: the terminator is consumed, p + k is the first byte
 * after it, the next command for a pipelining client) or out is full (write
 * it out, call again with p + k). With cap - *outn >= DOT_STEP_MAX it
 * consumes at least one byte whenever n > 0 and the body has not ended.
 *
 * Once size passes max_size, too_large is set and the decoder writes nothing
 * more but goes on consuming to the end, so the server answers 552 after the
 * terminator and the session stays in step. After the end it consumes
 * nothing. The SMTP server checks bare_lf/bare_cr at the end (or after each
 * call) to refuse the message (550 5.6.11, as Postfix and Exim do) or to
 * accept it as decoded with DOT_DEC_NORMALISE.
 */
size_t dot_decode(struct dot_dec *d, const uint8_t *p, size_t n,
    uint8_t *out, size_t cap, size_t *outn) BUF_WUR;

/* True once the CRLF "." CRLF that ends the body has been consumed. */
bool dot_dec_done(const struct dot_dec *d);

/* Encoder options. */
enum {
	/* Pass bare LF and bare CR through as they are. Only for content that
	 * is known to have CRLF line ends (dot_decode's output of a message
	 * with no bare_lf and no bare_cr): sent to a peer that ends lines at
	 * LF, "\n.\n" in raw content would end its DATA there. Without it
	 * (the default) each bare LF or bare CR goes out as CRLF. */
	DOT_ENC_RAW = 1 << 0,
};

struct dot_enc {
	uint8_t state;		/* private */
	unsigned opts;		/* private */
};

void dot_enc_init(struct dot_enc *e, unsigned opts);

/*
 * Encodes p[0..n) into out[0..cap) as the same bytes with a '.' doubled at
 * the start of every line (and line ends made CRLF unless DOT_ENC_RAW),
 * adding to *outn the bytes written. Returns the bytes of p consumed: less
 * than n only when out is full; with cap - *outn >= DOT_STEP_MAX at least one
 * when n > 0. Nothing is held back: every byte consumed is written.
 */
size_t dot_encode(struct dot_enc *e, const uint8_t *p, size_t n,
    uint8_t *out, size_t cap, size_t *outn) BUF_WUR;

/* The end of the body: a CRLF if the body did not end with one, then
 * ".\r\n" (at most DOT_END_MAX bytes, added at out + *outn). Returns 0, or -1
 * with nothing written when they do not fit (or the end was already written;
 * dot_encode consumes nothing after it). dot_decode of the whole
 * encoding gives back the body, plus CRLF if it did not end with one (and,
 * without DOT_ENC_RAW, with its bare LF and CR made CRLF). */
#define DOT_END_MAX 5
int dot_encode_end(struct dot_enc *e, uint8_t *out, size_t cap, size_t *outn)
	BUF_WUR;

#endif
