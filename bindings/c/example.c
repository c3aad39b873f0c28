/*
 * bleep from C, through the header UniFFI generates (BleepFFI.h) and
 * libbleep_ffi. Creates a device in memory, reads its prekey bundle,
 * redacts a draft, and checks the error a wrong-length storage key gives.
 * Exits 0 when every check passes; prints what failed otherwise.
 *
 * UniFFI's calling convention (docs/BINDINGS.md, "C"): a string argument is
 * a RustBuffer of its UTF-8 bytes; byte strings, records, enums and errors
 * are serialised (big-endian i32 lengths, 1-based i32 variant indices);
 * objects are u64 handles, cloned for each method call. Every returned
 * RustBuffer is freed with ffi_bleep_ffi_rustbuffer_free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "BleepFFI.h"

static int failures = 0;

#define CHECK(cond, what)                                   \
    do {                                                    \
        if (!(cond)) {                                      \
            fprintf(stderr, "FAILED: %s\n", what);          \
            failures++;                                     \
        }                                                   \
    } while (0)

/* A RustBuffer holding a copy of `len` bytes. */
static RustBuffer buffer_of(const uint8_t *data, int32_t len) {
    RustCallStatus st = {0};
    ForeignBytes fb = {len, data};
    RustBuffer b = ffi_bleep_ffi_rustbuffer_from_bytes(fb, &st);
    if (st.code != 0) {
        fprintf(stderr, "rustbuffer_from_bytes failed\n");
        exit(2);
    }
    return b;
}

static void buffer_free(RustBuffer b) {
    RustCallStatus st = {0};
    ffi_bleep_ffi_rustbuffer_free(b, &st);
}

/* Serialisation helpers (big-endian, as UniFFI writes). */
static size_t put_i32(uint8_t *out, int32_t v) {
    out[0] = (uint8_t)((uint32_t)v >> 24);
    out[1] = (uint8_t)((uint32_t)v >> 16);
    out[2] = (uint8_t)((uint32_t)v >> 8);
    out[3] = (uint8_t)v;
    return 4;
}

static int32_t get_i32(const uint8_t *in) {
    return (int32_t)(((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) |
                     ((uint32_t)in[2] << 8) | (uint32_t)in[3]);
}

/* A `bytes` argument: i32 length, then the bytes. */
static RustBuffer bytes_arg(const uint8_t *data, int32_t len) {
    uint8_t *tmp = malloc((size_t)len + 4);
    size_t n = put_i32(tmp, len);
    memcpy(tmp + n, data, (size_t)len);
    RustBuffer b = buffer_of(tmp, len + 4);
    free(tmp);
    return b;
}

/* A DeviceAddress record: clinician (string: i32 length, UTF-8), device (u32). */
static RustBuffer address_arg(const char *clinician, uint32_t device) {
    uint8_t tmp[4 + 64 + 4];
    int32_t len = (int32_t)strlen(clinician);
    size_t n = put_i32(tmp, len);
    memcpy(tmp + n, clinician, (size_t)len);
    n += (size_t)len;
    n += put_i32(tmp + n, (int32_t)device);
    return buffer_of(tmp, (int32_t)n);
}

/* An enum argument without fields: its 1-based variant index. */
static RustBuffer enum_arg(int32_t variant) {
    uint8_t tmp[4];
    put_i32(tmp, variant);
    return buffer_of(tmp, 4);
}

int main(void) {
    RustCallStatus st = {0};

    /* A fresh storage key: returned as a serialised `bytes` (32). */
    RustBuffer key = uniffi_bleep_ffi_fn_func_generate_storage_key(&st);
    CHECK(st.code == 0 && key.len == 36 && get_i32(key.data) == 32, "generate_storage_key");

    /* A device in memory (TrustPolicy.RequireVerified is variant 1). */
    memset(&st, 0, sizeof st);
    uint64_t device = uniffi_bleep_ffi_fn_constructor_bleepdevice_create_in_memory(
        bytes_arg(key.data + 4, 32), address_arg("dr.okafor", 1), enum_arg(1), &st);
    /* Wipe the C copy of the key as soon as it is handed over. */
    memset(key.data, 0, (size_t)key.len);
    buffer_free(key);
    CHECK(st.code == 0 && device != 0, "create_in_memory");

    /* Its prekey bundle, to upload. */
    memset(&st, 0, sizeof st);
    uint64_t handle = uniffi_bleep_ffi_fn_clone_bleepdevice(device, &st);
    memset(&st, 0, sizeof st);
    RustBuffer bundle = uniffi_bleep_ffi_fn_method_bleepdevice_prekey_bundle(handle, &st);
    CHECK(st.code == 0 && bundle.len > 100 && get_i32(bundle.data) == (int32_t)bundle.len - 4,
          "prekey_bundle");
    buffer_free(bundle);

    /* A wrong-length storage key is a typed error: BleepError.Decode
     * (variant 1) with reason "InvalidLength". */
    uint8_t short_key[16] = {0};
    memset(&st, 0, sizeof st);
    uniffi_bleep_ffi_fn_constructor_bleepdevice_create_in_memory(
        bytes_arg(short_key, 16), address_arg("dr.patel", 1), enum_arg(1), &st);
    CHECK(st.code == 1, "short key: error status");
    if (st.code == 1) {
        const uint8_t *e = st.errorBuf.data;
        int32_t reason_len = get_i32(e + 4);
        CHECK(get_i32(e) == 1, "short key: Decode category");
        CHECK(reason_len == 13 && memcmp(e + 8, "InvalidLength", 13) == 0,
              "short key: InvalidLength reason");
        buffer_free(st.errorBuf);
    }

    /* Redact a draft (RedactAction.Mask is variant 1); the result is a
     * RedactedText record whose first field is the text. */
    const char *draft = "Bed 4, NHS 943 476 5919, please review";
    memset(&st, 0, sizeof st);
    RustBuffer text = buffer_of((const uint8_t *)draft, (int32_t)strlen(draft));
    RustBuffer red = uniffi_bleep_ffi_fn_func_redact_text(text, enum_arg(1), &st);
    CHECK(st.code == 0, "redact_text");
    if (st.code == 0) {
        int32_t n = get_i32(red.data);
        char out[256] = {0};
        memcpy(out, red.data + 4, n < 255 ? (size_t)n : 255);
        printf("redacted: %s\n", out);
        CHECK(strstr(out, "5919") == NULL, "redact_text: number gone");
        CHECK(strstr(out, "[NHS number]") != NULL, "redact_text: placeholder");
        buffer_free(red);
    }

    memset(&st, 0, sizeof st);
    uniffi_bleep_ffi_fn_free_bleepdevice(device, &st);
    CHECK(st.code == 0, "free device");

    if (failures == 0) {
        printf("C example: all checks passed\n");
    }
    return failures == 0 ? 0 : 1;
}
