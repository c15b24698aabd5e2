/* A small JSON tree for one request: parse, look up, change, write back.
 *
 * Deliberately minimal, and honest about it:
 * - strings and numbers are kept as the raw bytes of the request (strings with their quotes and
 *   escapes), so copying them out writes exactly what came in and nothing is ever unescaped;
 * - object keys are compared byte for byte with their raw form, so a key the sender wrote with
 *   \u escapes does not match its plain spelling (Crossplane and the host never do that);
 * - nothing is freed: a module instance lives for one call, then the host drops its memory.
 */
#ifndef C_HELLO_JSON_H
#define C_HELLO_JSON_H

#include <stddef.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json json;

/* One member of an object (key set) or one element of an array (key NULL). */
typedef struct {
    const char *key; /* raw key, without quotes */
    size_t key_len;
    json *value;
} json_member;

struct json {
    json_kind kind;
    const char *raw; /* scalars: their text as written, strings with quotes */
    size_t raw_len;
    json_member *members; /* arrays and objects */
    size_t len, cap;
};

/* Parses `len` bytes at `text`. Returns NULL on a syntax error or when out of memory, and
 * points *error at a message naming the byte offset. The tree points into `text`. */
json *json_parse(const char *text, size_t len, const char **error);

/* The member `key` of `object`, or NULL (also when `object` is NULL or not an object). */
json *json_get(const json *object, const char *key);

/* The member `key` of `object` if it is an object; otherwise (missing, null, or another type)
 * it becomes a new empty object. Returns NULL only when out of memory. */
json *json_object_at(json *object, const char *key);

/* Sets the member with raw key `key` (`key_len` bytes) of `object` to `value`. Returns 0, or -1
 * when out of memory. */
int json_set(json *object, const char *key, size_t key_len, json *value);

/* A new value of `kind`; scalars take `raw`/`raw_len` as their text. NULL when out of memory. */
json *json_new(json_kind kind, const char *raw, size_t raw_len);

/* A growable byte buffer. */
typedef struct {
    char *data;
    size_t len, cap;
    int failed; /* set when an allocation failed; the contents are then incomplete */
} json_buf;

void json_buf_put(json_buf *buf, const char *bytes, size_t len);
void json_buf_puts(json_buf *buf, const char *text);

/* Appends `value` as compact JSON. */
void json_write(json_buf *buf, const json *value);

#endif
