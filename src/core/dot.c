/* dot.c - the dot-stuffed body codec (see dot.h): a byte-at-a-time state
 * machine with a fast path for the runs of bytes inside a line. */
#include <string.h>

#include "core/dot.h"

enum {
	DEC_BOL,	/* at the start of a line (after CRLF, or first) */
	DEC_DOT,	/* "." at the start of a line, held */
	DEC_DOT_CR,	/* "." CR at the start of a line, held */
	DEC_TEXT,	/* inside a line */
	DEC_CR,		/* a CR inside a line, held until its LF comes */
	DEC_DONE,	/* CRLF "." CRLF consumed */
};

/* What one input byte does: the bytes it writes and the counts it adds,
 * applied only if they fit (so a stop leaves the state as it was). */
struct step {
	uint8_t out[DOT_STEP_MAX];
	size_t n;
	uint8_t state;
	uint8_t bare_lf, bare_cr;
};

static void
put(struct step *s, uint8_t c)
{
	s->out[s->n++] = c;
}

/* A bare CR or LF: as it came, or as CRLF. */
static void
put_bare(struct step *s, uint8_t c, unsigned opts)
{
	if (opts & DOT_DEC_NORMALISE) {
		put(s, '\r');
		put(s, '\n');
	} else {
		put(s, c);
	}
}

/* A byte inside a line. */
static void
dec_text(struct step *s, uint8_t c, unsigned opts)
{
	if (c == '\r') {
		s->state = DEC_CR;
	} else if (c == '\n') {
		s->bare_lf++;
		put_bare(s, '\n', opts);
		s->state = DEC_TEXT;
	} else {
		put(s, c);
		s->state = DEC_TEXT;
	}
}

static void
dec_step(struct step *s, uint8_t state, uint8_t c, unsigned opts)
{
	s->n = 0;
	s->bare_lf = s->bare_cr = 0;
	switch (state) {
	case DEC_BOL:
		if (c == '.')
			s->state = DEC_DOT;
		else
			dec_text(s, c, opts);
		break;
	case DEC_DOT:
		/* ".x": the dot was stuffing (RFC 5321 §4.5.2), x is data;
		 * a '\n' here is a bare LF, not the end. */
		if (c == '\r')
			s->state = DEC_DOT_CR;
		else
			dec_text(s, c, opts);
		break;
	case DEC_DOT_CR:
		if (c == '\n') {
			s->state = DEC_DONE;
			break;
		}
		/* "." CR x: the CR was bare, the dot stuffing. */
		s->bare_cr++;
		put_bare(s, '\r', opts);
		dec_text(s, c, opts);
		break;
	case DEC_CR:
		if (c == '\n') {
			put(s, '\r');
			put(s, '\n');
			s->state = DEC_BOL;
			break;
		}
		s->bare_cr++;
		put_bare(s, '\r', opts);
		dec_text(s, c, opts);
		break;
	default: /* DEC_TEXT */
		dec_text(s, c, opts);
		break;
	}
}

void
dot_dec_init(struct dot_dec *d, uint64_t max_size, unsigned opts)
{
	memset(d, 0, sizeof(*d));
	d->max_size = max_size;
	d->opts = opts;
	d->state = DEC_BOL;
}

bool
dot_dec_done(const struct dot_dec *d)
{
	return d->state == DEC_DONE;
}

/* Counts m body bytes and says whether to write them: not once the body is
 * past max_size. */
static bool
dec_count(struct dot_dec *d, size_t m)
{
	if (!d->too_large && d->max_size > 0 &&
	    (d->size + m > d->max_size || d->size + m < d->size))
		d->too_large = true;
	d->size += m;
	return !d->too_large;
}

size_t
dot_decode(struct dot_dec *d, const uint8_t *p, size_t n, uint8_t *out,
    size_t cap, size_t *outn)
{
	size_t i = 0;
	struct step s;

	while (i < n && d->state != DEC_DONE) {
		if (d->state == DEC_TEXT) {
			/* The run of plain bytes up to the next CR or LF, as
			 * much of it as fits (all of it when nothing is
			 * written any more). */
			size_t room = cap - *outn, j = i, lim;

			lim = d->too_large || n - i < room ? n : i + room;
			while (j < lim && p[j] != '\r' && p[j] != '\n')
				j++;
			if (j > i) {
				if (dec_count(d, j - i)) {
					memcpy(out + *outn, p + i, j - i);
					*outn += j - i;
				}
				i = j;
				continue;
			}
		}
		dec_step(&s, d->state, p[i], d->opts);
		if (s.n > 0) {
			bool over = d->too_large || (d->max_size > 0 &&
			    d->size + s.n > d->max_size);
			if (!over && cap - *outn < s.n)
				break; /* out is full: come back with p + i */
			if (dec_count(d, s.n)) {
				memcpy(out + *outn, s.out, s.n);
				*outn += s.n;
			}
		}
		d->bare_lf += s.bare_lf;
		d->bare_cr += s.bare_cr;
		d->state = s.state;
		i++;
	}
	return i;
}

enum {
	ENC_BOL,	/* the next byte starts a line */
	ENC_TEXT,	/* inside a line */
	ENC_CR,		/* a CR written, its line end not yet */
	ENC_DONE,	/* the terminator written */
};

static void
enc_text(struct step *s, uint8_t c, unsigned opts)
{
	if (c == '\r') {
		put(s, '\r');
		s->state = ENC_CR;
	} else if (c == '\n' && !(opts & DOT_ENC_RAW)) {
		put(s, '\r');
		put(s, '\n');
		s->state = ENC_BOL;
	} else {
		put(s, c);
		s->state = ENC_TEXT;
	}
}

static void
enc_bol(struct step *s, uint8_t c, unsigned opts)
{
	if (c == '.') {
		put(s, '.');
		put(s, '.');
		s->state = ENC_TEXT;
	} else {
		enc_text(s, c, opts);
	}
}

static void
enc_step(struct step *s, uint8_t state, uint8_t c, unsigned opts)
{
	s->n = 0;
	switch (state) {
	case ENC_BOL:
		enc_bol(s, c, opts);
		break;
	case ENC_CR:
		if (c == '\n') {
			put(s, '\n');
			s->state = ENC_BOL;
		} else if (opts & DOT_ENC_RAW) {
			enc_text(s, c, opts);
		} else {
			/* The CR was bare: its LF makes it a line end, and
			 * c starts the next line. */
			put(s, '\n');
			enc_bol(s, c, opts);
		}
		break;
	default: /* ENC_TEXT */
		enc_text(s, c, opts);
		break;
	}
}

void
dot_enc_init(struct dot_enc *e, unsigned opts)
{
	e->state = ENC_BOL;
	e->opts = opts;
}

size_t
dot_encode(struct dot_enc *e, const uint8_t *p, size_t n, uint8_t *out,
    size_t cap, size_t *outn)
{
	size_t i = 0;
	struct step s;

	if (e->state == ENC_DONE)
		return 0;
	while (i < n) {
		if (e->state == ENC_TEXT) {
			size_t room = cap - *outn, j = i;
			size_t lim = n - i < room ? n : i + room;

			while (j < lim && p[j] != '\r' && p[j] != '\n')
				j++;
			if (j > i) {
				memcpy(out + *outn, p + i, j - i);
				*outn += j - i;
				i = j;
				continue;
			}
		}
		enc_step(&s, e->state, p[i], e->opts);
		if (cap - *outn < s.n)
			break;
		memcpy(out + *outn, s.out, s.n);
		*outn += s.n;
		e->state = s.state;
		i++;
	}
	return i;
}

int
dot_encode_end(struct dot_enc *e, uint8_t *out, size_t cap, size_t *outn)
{
	static const uint8_t end[] = "\r\n.\r\n";
	const uint8_t *t;
	size_t m;

	switch (e->state) {
	case ENC_BOL:
		t = end + 2;
		break;
	case ENC_CR:
		t = e->opts & DOT_ENC_RAW ? end : end + 1;
		break;
	case ENC_TEXT:
		t = end;
		break;
	default:
		return -1;
	}
	m = (size_t)(end + 5 - t);
	if (cap - *outn < m)
		return -1;
	memcpy(out + *outn, t, m);
	*outn += m;
	e->state = ENC_DONE;
	return 0;
}
