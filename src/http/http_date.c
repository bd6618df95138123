/* http_date.c - HTTP-date (RFC 9110 §5.6.7): IMF-fixdate out, all three
 * historical forms in. Names are case-sensitive, as the grammar says (%s).
 */
#include <string.h>

#include "http/http_parse.h"
#include "http/http_date.h"

static const char wkdays[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const weekdays[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static void
put_digits(char *out, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
http_date_format(time_t t, char out[HTTP_DATE_LEN + 1])
{
	struct tm tm;
	long year;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	year = (long)tm.tm_year + 1900;
	if (year < 0 || year > 9999)
		return -1;
	/* "Sun, 06 Nov 1994 08:49:37 GMT", fixed columns. */
	memcpy(out, wkdays[tm.tm_wday], 3);
	memcpy(out + 3, ", ", 2);
	put_digits(out + 5, tm.tm_mday, 2);
	out[7] = ' ';
	memcpy(out + 8, months[tm.tm_mon], 3);
	out[11] = ' ';
	put_digits(out + 12, (int)year, 4);
	out[16] = ' ';
	put_digits(out + 17, tm.tm_hour, 2);
	out[19] = ':';
	put_digits(out + 20, tm.tm_min, 2);
	out[22] = ':';
	put_digits(out + 23, tm.tm_sec, 2);
	memcpy(out + 25, " GMT", 4);
	out[HTTP_DATE_LEN] = '\0';
	return HTTP_DATE_LEN;
}

/* A cursor over the date: every read checks what is left. */
struct cur {
	const uint8_t *p, *end;
};

static bool
eat(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool
eat_num(struct cur *c, int digits, int *v)
{
	if (c->end - c->p < digits)
		return false;
	*v = 0;
	for (int i = 0; i < digits; i++) {
		uint8_t d = c->p[i];
		if (d < '0' || d > '9')
			return false;
		*v = *v * 10 + (d - '0');
	}
	c->p += digits;
	return true;
}

static bool
eat_month(struct cur *c, int *mon)
{
	for (int i = 0; i < 12; i++) {
		if (eat(c, months[i])) {
			*mon = i;
			return true;
		}
	}
	return false;
}

/* time-of-day = hour ":" minute ":" second; 60 is a leap second. */
static bool
eat_time(struct cur *c, struct tm *tm)
{
	return eat_num(c, 2, &tm->tm_hour) && eat(c, ":") &&
	    eat_num(c, 2, &tm->tm_min) && eat(c, ":") &&
	    eat_num(c, 2, &tm->tm_sec) && tm->tm_hour <= 23 &&
	    tm->tm_min <= 59 && tm->tm_sec <= 60;
}

static int
days_in_month(int year, int mon)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 1 && leap ? 29 : days[mon];
}

/* RFC 9110 §5.6.7: a two-digit year more than 50 years ahead of now is the
 * most recent past year with those digits. */
static int
rfc850_year(int yy)
{
	time_t now = time(NULL);
	struct tm tm;
	int cur, y;

	if (gmtime_r(&now, &tm) == NULL)
		return 1900 + yy;
	cur = tm.tm_year + 1900;
	y = cur - cur % 100 + yy;
	if (y > cur + 50)
		y -= 100;
	return y;
}

int
http_date_parse(struct slice s, time_t *t)
{
	struct cur c = { s.p, s.p + s.n };
	struct tm tm;
	int day = -1, year = 0, yy, wd;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	if (s.n < 3)
		return -1;
	for (wd = 0; wd < 7; wd++)
		if (memcmp(s.p, wkdays[wd], 3) == 0)
			break;
	if (wd == 7)
		return -1;

	if (eat(&c, wkdays[wd]) && eat(&c, ", ")) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (!(eat_num(&c, 2, &day) && eat(&c, " ") &&
		    eat_month(&c, &tm.tm_mon) && eat(&c, " ") &&
		    eat_num(&c, 4, &year) && eat(&c, " ") &&
		    eat_time(&c, &tm) && eat(&c, " GMT")))
			return -1;
	} else if (c.p = s.p, eat(&c, weekdays[wd]) && eat(&c, ", ")) {
		/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
		if (!(eat_num(&c, 2, &day) && eat(&c, "-") &&
		    eat_month(&c, &tm.tm_mon) && eat(&c, "-") &&
		    eat_num(&c, 2, &yy) && eat(&c, " ") &&
		    eat_time(&c, &tm) && eat(&c, " GMT")))
			return -1;
		year = rfc850_year(yy);
	} else if (c.p = s.p, eat(&c, wkdays[wd]) && eat(&c, " ")) {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" */
		if (!(eat_month(&c, &tm.tm_mon) && eat(&c, " ")))
			return -1;
		if (eat(&c, " ")) {
			if (!eat_num(&c, 1, &day))
				return -1;
		} else if (!eat_num(&c, 2, &day)) {
			return -1;
		}
		if (!(eat(&c, " ") && eat_time(&c, &tm) && eat(&c, " ") &&
		    eat_num(&c, 4, &year)))
			return -1;
	} else {
		return -1;
	}
	if (c.p != c.end)
		return -1;
	if (day < 1 || day > days_in_month(year, tm.tm_mon))
		return -1;
	tm.tm_mday = day;
	tm.tm_year = year - 1900;
	v = timegm(&tm);
	if (v == (time_t)-1 && !(year == 1969 && tm.tm_mon == 11 &&
	    day == 31 && tm.tm_hour == 23 && tm.tm_min == 59 &&
	    tm.tm_sec == 59))
		return -1;
	*t = v;
	return 0;
}
