/* SPDX-License-Identifier: MIT */
/*
 * kmsgqctl's writers of standard output: JSON values and human tables.
 * JSON strings are escaped, and bytes that are not UTF-8 written as
 * \u00XX; table columns are as wide as their widest cell, two spaces apart.
 */
#ifndef KMSGQCTL_OUTPUT_H
#define KMSGQCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define OUTPUT_TABLE_COLS	12
#define OUTPUT_TABLE_CELL	80

/* One table row: a NUL-terminated string per column. */
struct output_row {
	char cell[OUTPUT_TABLE_COLS][OUTPUT_TABLE_CELL];
};

/**
 * output_utf8_valid - whether @buf holds valid UTF-8
 * @buf: the bytes
 * @n: their number
 */
bool output_utf8_valid(const void *buf, size_t n);

/**
 * output_json_string - write @n bytes at @buf as a JSON string
 * @buf: the bytes, not necessarily text nor NUL-terminated
 * @n: their number
 */
void output_json_string(const void *buf, size_t n);

/**
 * output_json_cstring_or_null - write @s as a JSON string, or null
 * @s: a C string, or NULL for none
 */
void output_json_cstring_or_null(const char *s);

/**
 * output_json_base64 - write @n bytes at @buf as a base64 JSON string
 * @buf: the bytes
 * @n: their number
 */
void output_json_base64(const void *buf, size_t n);

/**
 * output_json_item - start item @i of a JSON array, after its "["
 * @i: the item's index, from 0
 *
 * Each item goes on its own line.
 */
void output_json_item(unsigned long long i);

/**
 * output_json_array_end - close a JSON array of @nr items and the line
 * @nr: the number of items written
 */
void output_json_array_end(unsigned long long nr);

/**
 * output_cellf - snprintf() into one table cell
 * @cell: the cell, OUTPUT_TABLE_CELL bytes
 * @fmt: printf() format, then its arguments
 */
void __attribute__((format(printf, 2, 3)))
output_cellf(char *cell, const char *fmt, ...);

/**
 * output_table_print - write a table: the heads' line, then the rows
 * @heads: one column head per column
 * @align: one 'l' (left) or 'r' (right) per column, at most
 *	OUTPUT_TABLE_COLS
 * @rows: the rows
 * @nr: their number
 */
void output_table_print(const char *const *heads, const char *align,
			const struct output_row *rows, size_t nr);

#endif /* KMSGQCTL_OUTPUT_H */
