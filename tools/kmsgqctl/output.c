// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's output: JSON values and human tables on standard output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"

/* JSON */

/* Length of the valid UTF-8 sequence at @p (of @n bytes), or 0. */
static size_t output_utf8_len(const unsigned char *p, size_t n)
{
	unsigned int cp, min;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool output_utf8_valid(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t k;

	for (; n; p += k, n -= k) {
		k = output_utf8_len(p, n);
		if (!k)
			return false;
	}
	return true;
}

void output_json_string(const void *buf, size_t n)
{
	/* Characters with a short escape; the letter after the backslash. */
	static const char esc[] = "\"\\\b\f\n\r\t", letter[] = "\"\\bfnrt";
	const unsigned char *p = buf;
	const char *e;
	size_t k;

	putchar('"');
	for (; n; p += k, n -= k) {
		k = 1;
		e = memchr(esc, *p, sizeof(esc) - 1);	/* not its NUL */
		if (e) {
			putchar('\\');
			putchar(letter[e - esc]);
		} else if (*p < 0x20) {
			printf("\\u%04x", *p);
		} else if (*p < 0x80) {
			putchar(*p);
		} else {
			k = output_utf8_len(p, n);
			if (k) {
				fwrite(p, 1, k, stdout);
			} else {
				printf("\\u%04x", *p);
				k = 1;
			}
		}
	}
	putchar('"');
}

void output_json_cstring_or_null(const char *s)
{
	if (s)
		output_json_string(s, strlen(s));
	else
		fputs("null", stdout);
}

void output_json_base64(const void *buf, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = buf;
	unsigned long v;
	size_t i;

	putchar('"');
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		putchar(b64[v >> 18 & 63]);
		putchar(b64[v >> 12 & 63]);
		putchar(b64[v >> 6 & 63]);
		putchar(b64[v & 63]);
	}
	if (i < n) {
		v = (unsigned long)p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0);
		putchar(b64[v >> 18 & 63]);
		putchar(b64[v >> 12 & 63]);
		putchar(i + 1 < n ? b64[v >> 6 & 63] : '=');
		putchar('=');
	}
	putchar('"');
}

void output_json_item(unsigned long long i)
{
	fputs(i ? ",\n" : "\n", stdout);
}

void output_json_array_end(unsigned long long nr)
{
	fputs(nr ? "\n]\n" : "]\n", stdout);
}

/* Tables */

void output_cellf(char *cell, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cell, OUTPUT_TABLE_CELL, fmt, ap);
	va_end(ap);
}

void output_table_print(const char *const *heads, const char *align,
			const struct output_row *rows, size_t nr)
{
	size_t ncols = strlen(align), w[OUTPUT_TABLE_COLS], c, r;

	for (c = 0; c < ncols; c++) {
		w[c] = strlen(heads[c]);
		for (r = 0; r < nr; r++)
			if (strlen(rows[r].cell[c]) > w[c])
				w[c] = strlen(rows[r].cell[c]);
	}
	for (r = 0; r <= nr; r++) {
		for (c = 0; c < ncols; c++) {
			const char *s = r ? rows[r - 1].cell[c] : heads[c];
			int width = (int)w[c];

			if (c + 1 == ncols && align[c] == 'l')
				width = 0;	/* no trailing blanks */
			printf("%s%*s", c ? "  " : "",
			       align[c] == 'l' ? -width : width, s);
		}
		putchar('\n');
	}
}
