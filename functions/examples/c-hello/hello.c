/* c-hello: an ABI v1 reactor module in C (docs/ABI.md).
 *
 * It labels every desired composed resource that earlier steps produced with the name of the
 * composite resource (XR) they belong to:
 *
 *     metadata.labels["example.org/composite"]: <the observed XR's metadata.name>
 *
 * The label key can be changed with the step's config: {"labelKey": "team.example.org/xr"}.
 * It adds a Normal result saying how many resources it labelled and leaves the context alone.
 * An XR without metadata.name gets a Fatal result, and the desired state is returned unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

__attribute__((import_module("xfn"), import_name("set_output")))
void xfn_set_output(const void *ptr, size_t len);
__attribute__((import_module("xfn"), import_name("log")))
void xfn_log(int32_t level, const void *ptr, size_t len);

/* xfn.log levels. */
enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Status codes of xfn_run_v1; any non-zero status makes the host report a FATAL result with
 * the output as the message. */
enum { STATUS_OK = 0, STATUS_INVALID_REQUEST = 1, STATUS_OUT_OF_MEMORY = 2 };

/* The label key when the config sets none, as it appears inside a JSON string. */
static const char DEFAULT_LABEL_KEY[] = "example.org/composite";

/* The canonical ABI allocator. The host calls cabi_realloc(0, 0, 1, len) once per call for the
 * request; malloc's blocks are aligned to 16 bytes, enough for any `align` up to 16. */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old_ptr, size_t old_len, size_t align, size_t new_len) {
    (void)old_len;
    if (new_len == 0) return (void *)align; /* any aligned, non-null pointer */
    void *ptr = realloc(old_ptr, new_len);
    if (ptr == NULL || align > 16) abort(); /* abort traps: the host reports it */
    return ptr;
}

static void log_line(int32_t level, const char *text) {
    xfn_log(level, text, strlen(text));
}

static int32_t fail(int32_t status, const char *message) {
    log_line(LOG_ERROR, message);
    xfn_set_output(message, strlen(message));
    return status;
}

/* Appends a result to `out` (which has just written `"results":[`). `message` is the raw
 * content of a JSON string (already escaped). */
static void write_result(json_buf *out, const char *severity, const char *message, size_t len) {
    json_buf_puts(out, "{\"severity\":\"");
    json_buf_puts(out, severity);
    json_buf_puts(out, "\",\"message\":\"");
    json_buf_put(out, message, len);
    json_buf_puts(out, "\"}");
}

/* The raw content of a JSON string value (without its quotes), or NULL if `value` is not a
 * string. */
static const char *string_content(const json *value, size_t *len) {
    if (value == NULL || value->kind != JSON_STRING) return NULL;
    *len = value->raw_len - 2;
    return value->raw + 1;
}

__attribute__((export_name("xfn_run_v1")))
int32_t xfn_run_v1(const char *request, size_t len) {
    const char *error = NULL;
    json *req = json_parse(request, len, &error);
    if (req == NULL) {
        char message[160];
        snprintf(message, sizeof message, "c-hello: the request is not JSON: %s", error);
        return fail(STATUS_INVALID_REQUEST, message);
    }

    size_t key_len = sizeof DEFAULT_LABEL_KEY - 1;
    const char *key = string_content(json_get(json_get(req, "input"), "labelKey"), &key_len);
    if (key == NULL) key = DEFAULT_LABEL_KEY;

    json *xr = json_get(json_get(json_get(req, "observed"), "composite"), "resource");
    json *name = json_get(json_get(xr, "metadata"), "name");
    size_t name_len = 0;
    const char *name_text = string_content(name, &name_len);

    json_buf out = {0};
    json_buf_puts(&out, "{");
    if (name_text == NULL) {
        /* No "desired" and no "context" in the response: the host returns the request's
         * unchanged, so nothing earlier steps composed is lost. */
        static const char message[] =
            "c-hello: the composite resource has no metadata.name; "
            "Crossplane always sets it, so check the request this step received";
        json_buf_puts(&out, "\"results\":[");
        write_result(&out, "SEVERITY_FATAL", message, sizeof message - 1);
        json_buf_puts(&out, "]}");
    } else {
        json *desired = json_get(req, "desired");
        json *resources = json_get(desired, "resources");
        size_t labelled = 0;
        if (resources != NULL && resources->kind == JSON_OBJECT) {
            for (size_t i = 0; i < resources->len; i++) {
                json *resource = json_object_at(resources->members[i].value, "resource");
                json *metadata = resource ? json_object_at(resource, "metadata") : NULL;
                json *labels = metadata ? json_object_at(metadata, "labels") : NULL;
                if (labels == NULL || json_set(labels, key, key_len, name) != 0) {
                    return fail(STATUS_OUT_OF_MEMORY, "c-hello: out of memory");
                }
                labelled++;
            }
        }
        if (desired != NULL) {
            json_buf_puts(&out, "\"desired\":");
            json_write(&out, desired);
            json_buf_puts(&out, ",");
        }
        /* Both `key` and `name_text` are raw JSON string content, so they can be copied into
         * the message as they are. */
        char count[64];
        snprintf(count, sizeof count, "c-hello: labelled %zu composed resource%s with ", labelled,
                 labelled == 1 ? "" : "s");
        json_buf message = {0};
        json_buf_puts(&message, count);
        json_buf_put(&message, key, key_len);
        json_buf_puts(&message, "=");
        json_buf_put(&message, name_text, name_len);
        json_buf_puts(&out, "\"results\":[");
        write_result(&out, "SEVERITY_NORMAL", message.data, message.len);
        json_buf_puts(&out, "]}");
        if (message.failed) out.failed = 1;
        log_line(LOG_INFO, "c-hello: labelled the desired composed resources");
    }
    if (out.failed) return fail(STATUS_OUT_OF_MEMORY, "c-hello: out of memory");
    xfn_set_output(out.data, out.len);
    return STATUS_OK;
}
