/* The JSON tree of json.h: a recursive-descent parser and a compact writer. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting than any Kubernetes object needs; the limit keeps a hostile request from
 * overflowing the module's stack (which would trap). */
#define MAX_DEPTH 100

typedef struct {
    const char *text;
    size_t len, pos;
    const char *error;
    char message[96];
} parser;

static json *fail(parser *p, const char *what) {
    if (p->error == NULL) {
        snprintf(p->message, sizeof p->message, "%s at byte %zu", what, p->pos);
        p->error = p->message;
    }
    return NULL;
}

static void skip_space(parser *p) {
    while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos]) != NULL && p->text[p->pos] != 0) {
        p->pos++;
    }
}

json *json_new(json_kind kind, const char *raw, size_t raw_len) {
    json *value = calloc(1, sizeof *value);
    if (value != NULL) {
        value->kind = kind;
        value->raw = raw;
        value->raw_len = raw_len;
    }
    return value;
}

static int push(json *parent, const char *key, size_t key_len, json *value) {
    if (parent->len == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        json_member *members = realloc(parent->members, cap * sizeof *members);
        if (members == NULL) return -1;
        parent->members = members;
        parent->cap = cap;
    }
    parent->members[parent->len++] = (json_member){key, key_len, value};
    return 0;
}

/* Scans a string starting at the opening quote; leaves pos after the closing quote. */
static int scan_string(parser *p) {
    p->pos++; /* the opening quote */
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->text[p->pos++];
        if (c == '"') return 0;
        if (c == '\\') {
            if (p->pos >= p->len) break;
            p->pos++; /* the escaped character; \uXXXX's hex digits are ordinary bytes */
        } else if (c < 0x20) {
            fail(p, "control character in a string");
            return -1;
        }
    }
    fail(p, "unterminated string");
    return -1;
}

static json *parse_value(parser *p, int depth);

static json *parse_container(parser *p, int depth, json_kind kind) {
    char close = kind == JSON_OBJECT ? '}' : ']';
    json *value = json_new(kind, NULL, 0);
    if (value == NULL) return fail(p, "out of memory");
    p->pos++; /* the opening bracket */
    skip_space(p);
    if (p->pos < p->len && p->text[p->pos] == close) {
        p->pos++;
        return value;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        skip_space(p);
        if (kind == JSON_OBJECT) {
            if (p->pos >= p->len || p->text[p->pos] != '"') return fail(p, "expected a string key");
            size_t start = p->pos;
            if (scan_string(p) != 0) return NULL;
            key = p->text + start + 1;
            key_len = p->pos - start - 2;
            skip_space(p);
            if (p->pos >= p->len || p->text[p->pos] != ':') return fail(p, "expected ':'");
            p->pos++;
        }
        json *member = parse_value(p, depth + 1);
        if (member == NULL) return NULL;
        if (push(value, key, key_len, member) != 0) return fail(p, "out of memory");
        skip_space(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
        } else if (p->pos < p->len && p->text[p->pos] == close) {
            p->pos++;
            return value;
        } else {
            return fail(p, kind == JSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

static json *parse_literal(parser *p, const char *word, json_kind kind) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0) {
        return fail(p, "unexpected character");
    }
    json *value = json_new(kind, p->text + p->pos, n);
    p->pos += n;
    return value != NULL ? value : fail(p, "out of memory");
}

static json *parse_value(parser *p, int depth) {
    if (depth > MAX_DEPTH) return fail(p, "nested too deeply");
    skip_space(p);
    if (p->pos >= p->len) return fail(p, "unexpected end of input");
    size_t start = p->pos;
    switch (p->text[p->pos]) {
    case '{': return parse_container(p, depth, JSON_OBJECT);
    case '[': return parse_container(p, depth, JSON_ARRAY);
    case '"': {
        if (scan_string(p) != 0) return NULL;
        json *value = json_new(JSON_STRING, p->text + start, p->pos - start);
        return value != NULL ? value : fail(p, "out of memory");
    }
    case 't': return parse_literal(p, "true", JSON_BOOL);
    case 'f': return parse_literal(p, "false", JSON_BOOL);
    case 'n': return parse_literal(p, "null", JSON_NULL);
    default: {
        while (p->pos < p->len && strchr("+-0123456789.eE", p->text[p->pos]) != NULL &&
               p->text[p->pos] != 0) {
            p->pos++;
        }
        if (p->pos == start) return fail(p, "unexpected character");
        json *value = json_new(JSON_NUMBER, p->text + start, p->pos - start);
        return value != NULL ? value : fail(p, "out of memory");
    }
    }
}

json *json_parse(const char *text, size_t len, const char **error) {
    parser p = {text, len, 0, NULL, {0}};
    json *value = parse_value(&p, 0);
    if (value != NULL) {
        skip_space(&p);
        if (p.pos != p.len) value = fail(&p, "trailing characters");
    }
    if (value == NULL) {
        /* The message lives in static storage so that it outlives this function. */
        static char message[96];
        memcpy(message, p.message, sizeof message);
        *error = message;
    }
    return value;
}

static json_member *find(const json *object, const char *key, size_t key_len) {
    if (object == NULL || object->kind != JSON_OBJECT) return NULL;
    /* The last duplicate wins, as in most parsers. */
    for (size_t i = object->len; i > 0; i--) {
        json_member *m = &object->members[i - 1];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) return m;
    }
    return NULL;
}

json *json_get(const json *object, const char *key) {
    json_member *m = find(object, key, strlen(key));
    return m != NULL ? m->value : NULL;
}

int json_set(json *object, const char *key, size_t key_len, json *value) {
    json_member *m = find(object, key, key_len);
    if (m != NULL) {
        m->value = value;
        return 0;
    }
    return push(object, key, key_len, value);
}

json *json_object_at(json *object, const char *key) {
    json *existing = json_get(object, key);
    if (existing != NULL && existing->kind == JSON_OBJECT) return existing;
    json *created = json_new(JSON_OBJECT, NULL, 0);
    if (created == NULL || json_set(object, key, strlen(key), created) != 0) return NULL;
    return created;
}

void json_buf_put(json_buf *buf, const char *bytes, size_t len) {
    if (buf->failed) return;
    if (buf->cap - buf->len < len) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap - buf->len < len) cap *= 2;
        char *data = realloc(buf->data, cap);
        if (data == NULL) {
            buf->failed = 1;
            return;
        }
        buf->data = data;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
}

void json_buf_puts(json_buf *buf, const char *text) {
    json_buf_put(buf, text, strlen(text));
}

void json_write(json_buf *buf, const json *value) {
    if (value->kind != JSON_OBJECT && value->kind != JSON_ARRAY) {
        json_buf_put(buf, value->raw, value->raw_len);
        return;
    }
    json_buf_puts(buf, value->kind == JSON_OBJECT ? "{" : "[");
    for (size_t i = 0; i < value->len; i++) {
        const json_member *m = &value->members[i];
        if (i > 0) json_buf_puts(buf, ",");
        if (m->key != NULL) {
            json_buf_puts(buf, "\"");
            json_buf_put(buf, m->key, m->key_len);
            json_buf_puts(buf, "\":");
        }
        json_write(buf, m->value);
    }
    json_buf_puts(buf, value->kind == JSON_OBJECT ? "}" : "]");
}
