/*
 * Minimal UndefinedBehaviorSanitizer runtime for bare metal.
 *
 * GCC's -fsanitize=undefined instruments code with calls to
 * __ubsan_handle_* (libubsan's ABI). There is no libubsan for
 * arm-none-eabi, so: compile the code under test with -fsanitize=undefined,
 * link WITHOUT -fsanitize (that would ask for -lubsan) and add this file.
 * Every handler prints "ubsan: FILE:LINE:COL: runtime error: ..." over
 * semihosting and ends the simulation with BAREMETAL_EXIT_UBSAN -- abort on
 * the first error, for both the recoverable and the _abort entry points.
 *
 * Exception: __ubsan_handle_dynamic_type_cache_miss (C++ -fsanitize=vptr) is
 * called on every vptr-cache miss, not only on errors; deciding needs
 * libubsan's RTTI walk, which this runtime does not implement, so it returns
 * without checking. Build C++ with -fno-sanitize=vptr to avoid the overhead.
 *
 * Compile this file itself without -fsanitize.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "semihosting.h"

/* ---- libubsan data layouts (as GCC 12 emits them) ---- */

typedef struct {
  const char *filename;
  uint32_t line;
  uint32_t column;
} ubsan_source_location;

typedef struct {
  uint16_t kind; /* 0 integer, 1 float, 0xffff unknown */
  uint16_t info; /* integer: bit 0 signed, bits 1.. log2(bit width) */
  char name[1];
} ubsan_type_descriptor;

typedef uintptr_t ubsan_value; /* inline if it fits, else a pointer to it */

typedef struct {
  ubsan_source_location loc;
  const ubsan_type_descriptor *type;
} ubsan_overflow_data;

typedef struct {
  ubsan_source_location loc;
  const ubsan_type_descriptor *lhs_type;
  const ubsan_type_descriptor *rhs_type;
} ubsan_shift_data;

typedef struct {
  ubsan_source_location loc;
  const ubsan_type_descriptor *array_type;
  const ubsan_type_descriptor *index_type;
} ubsan_out_of_bounds_data;

typedef struct {
  ubsan_source_location loc;
  const ubsan_type_descriptor *type;
  uint8_t log_alignment;
  uint8_t type_check_kind;
} ubsan_type_mismatch_data;

typedef struct {
  ubsan_source_location loc;
} ubsan_location_data;

typedef struct {
  ubsan_source_location loc;
  const ubsan_type_descriptor *type;
} ubsan_type_data;

typedef struct {
  ubsan_source_location loc;
  ubsan_source_location attr_loc;
  int arg_index;
} ubsan_nonnull_arg_data;

typedef struct {
  ubsan_source_location attr_loc;
} ubsan_nonnull_return_data;

typedef struct {
  ubsan_source_location loc;
  uint8_t kind;
} ubsan_invalid_builtin_data;

typedef struct {
  ubsan_source_location loc;
  const ubsan_type_descriptor *from_type;
  const ubsan_type_descriptor *to_type;
} ubsan_float_cast_data;

/* Read by C++ -fsanitize=vptr instrumentation. */
uintptr_t __ubsan_vptr_type_cache[128];

/* ---- reporting ---- */

#define NO_SANITIZE __attribute__((no_sanitize_undefined))

typedef struct {
  char buf[320];
  size_t len;
} msg_t;

NO_SANITIZE __attribute__((format(printf, 2, 3))) static void msg_add(
    msg_t *m, const char *fmt, ...) {
  if (m->len >= sizeof m->buf) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(m->buf + m->len, sizeof m->buf - m->len, fmt, ap);
  va_end(ap);
  if (n > 0) {
    size_t add = (size_t)n;
    m->len = add < sizeof m->buf - m->len ? m->len + add : sizeof m->buf - 1;
  }
}

static const char *type_name(const ubsan_type_descriptor *t) {
  return t != NULL ? t->name : "?";
}

static unsigned type_bits(const ubsan_type_descriptor *t) {
  return t != NULL && t->kind == 0 ? 1u << (t->info >> 1) : 0u;
}

/* Appends a value as libubsan would print it (integers up to 64 bits). */
NO_SANITIZE static void msg_value(msg_t *m, const ubsan_type_descriptor *t,
                                  ubsan_value v) {
  if (t != NULL && t->kind == 0) {
    unsigned bits = type_bits(t);
    int is_signed = (t->info & 1u) != 0;
    uint64_t raw;
    if (bits <= 32) {
      raw = (uint64_t)v;
    } else if (bits == 64) {
      memcpy(&raw, (const void *)v, sizeof raw);
    } else {
      msg_add(m, "<%u-bit value>", bits);
      return;
    }
    if (is_signed) {
      int64_t s;
      if (bits < 64) { /* sign-extend from `bits` */
        uint64_t sign = (uint64_t)1 << (bits - 1);
        raw &= (sign << 1) - 1;
        s = (int64_t)((raw ^ sign) - sign);
      } else {
        memcpy(&s, &raw, sizeof s);
      }
      msg_add(m, "%lld", (long long)s);
    } else {
      msg_add(m, "%llu", (unsigned long long)raw);
    }
    return;
  }
  msg_add(m, "<value 0x%08lx>", (unsigned long)v);
}

NO_SANITIZE __attribute__((noreturn)) static void report_and_abort(
    const ubsan_source_location *loc, msg_t *m) {
  static volatile int in_report;
  if (in_report) {
    semihosting_exit(BAREMETAL_EXIT_UBSAN);
  }
  in_report = 1;
  fflush(stdout);
  msg_t line = {.len = 0};
  msg_add(&line, "ubsan: %s:%lu:%lu: runtime error: %s\n",
          loc != NULL && loc->filename != NULL ? loc->filename : "<unknown>",
          loc != NULL ? (unsigned long)loc->line : 0ul,
          loc != NULL ? (unsigned long)loc->column : 0ul, m->buf);
  semihosting_write0(line.buf);
  line.len = 0;
  msg_add(&line, "ubsan: aborting with status %d\n", BAREMETAL_EXIT_UBSAN);
  semihosting_write0(line.buf);
  semihosting_exit(BAREMETAL_EXIT_UBSAN);
}

/* Defines the recoverable handler and its _abort twin with one body. */
#define UBSAN_HANDLER(name, params, args)                        \
  NO_SANITIZE __attribute__((noreturn)) static void name##_impl params; \
  void __ubsan_handle_##name params;                             \
  void __ubsan_handle_##name params { name##_impl args; }        \
  void __ubsan_handle_##name##_abort params;                     \
  void __ubsan_handle_##name##_abort params { name##_impl args; } \
  NO_SANITIZE static void name##_impl params

static void arith(msg_t *m, const ubsan_overflow_data *d, ubsan_value lhs,
                  const char *op, ubsan_value rhs) {
  msg_add(m, "%s integer overflow: ",
          d->type != NULL && (d->type->info & 1u) ? "signed" : "unsigned");
  msg_value(m, d->type, lhs);
  msg_add(m, " %s ", op);
  msg_value(m, d->type, rhs);
  msg_add(m, " cannot be represented in type %s", type_name(d->type));
}

UBSAN_HANDLER(add_overflow,
              (const ubsan_overflow_data *d, ubsan_value l, ubsan_value r),
              (d, l, r)) {
  msg_t m = {.len = 0};
  arith(&m, d, l, "+", r);
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(sub_overflow,
              (const ubsan_overflow_data *d, ubsan_value l, ubsan_value r),
              (d, l, r)) {
  msg_t m = {.len = 0};
  arith(&m, d, l, "-", r);
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(mul_overflow,
              (const ubsan_overflow_data *d, ubsan_value l, ubsan_value r),
              (d, l, r)) {
  msg_t m = {.len = 0};
  arith(&m, d, l, "*", r);
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(negate_overflow, (const ubsan_overflow_data *d, ubsan_value v),
              (d, v)) {
  msg_t m = {.len = 0};
  msg_add(&m, "negation of ");
  msg_value(&m, d->type, v);
  msg_add(&m, " cannot be represented in type %s", type_name(d->type));
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(divrem_overflow,
              (const ubsan_overflow_data *d, ubsan_value l, ubsan_value r),
              (d, l, r)) {
  msg_t m = {.len = 0};
  if (r == 0 && type_bits(d->type) <= 32) {
    msg_add(&m, "division by zero");
  } else {
    msg_add(&m, "division of ");
    msg_value(&m, d->type, l);
    msg_add(&m, " by ");
    msg_value(&m, d->type, r);
    msg_add(&m, " cannot be represented in type %s", type_name(d->type));
  }
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(shift_out_of_bounds,
              (const ubsan_shift_data *d, ubsan_value l, ubsan_value r),
              (d, l, r)) {
  msg_t m = {.len = 0};
  msg_add(&m, "shift out of bounds: ");
  msg_value(&m, d->lhs_type, l);
  msg_add(&m, " shifted by ");
  msg_value(&m, d->rhs_type, r);
  msg_add(&m, " places (%u-bit type %s)", type_bits(d->lhs_type),
          type_name(d->lhs_type));
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(out_of_bounds,
              (const ubsan_out_of_bounds_data *d, ubsan_value index),
              (d, index)) {
  msg_t m = {.len = 0};
  msg_add(&m, "index ");
  msg_value(&m, d->index_type, index);
  msg_add(&m, " out of bounds for type %s", type_name(d->array_type));
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(type_mismatch_v1,
              (const ubsan_type_mismatch_data *d, ubsan_value ptr),
              (d, ptr)) {
  static const char *const kinds[] = {
      "load of", "store to", "reference binding to", "member access within",
      "member call on", "constructor call on", "downcast of", "downcast of",
      "upcast of", "cast to virtual base of", "_Nonnull binding to",
      "dynamic operation on"};
  const char *what = d->type_check_kind < sizeof kinds / sizeof kinds[0]
                         ? kinds[d->type_check_kind]
                         : "access to";
  uintptr_t alignment = (uintptr_t)1 << d->log_alignment;
  msg_t m = {.len = 0};
  if (ptr == 0) {
    msg_add(&m, "%s null pointer of type %s", what, type_name(d->type));
  } else if (d->log_alignment != 0 && (ptr & (alignment - 1)) != 0) {
    msg_add(&m,
            "%s misaligned address 0x%08lx for type %s, which requires %lu "
            "byte alignment",
            what, (unsigned long)ptr, type_name(d->type),
            (unsigned long)alignment);
  } else {
    msg_add(&m,
            "%s address 0x%08lx with insufficient space for an object of "
            "type %s",
            what, (unsigned long)ptr, type_name(d->type));
  }
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(load_invalid_value, (const ubsan_type_data *d, ubsan_value v),
              (d, v)) {
  msg_t m = {.len = 0};
  msg_add(&m, "load of value ");
  msg_value(&m, d->type, v);
  msg_add(&m, ", which is not a valid value for type %s",
          type_name(d->type));
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(pointer_overflow,
              (const ubsan_location_data *d, ubsan_value base,
               ubsan_value result),
              (d, base, result)) {
  msg_t m = {.len = 0};
  msg_add(&m, "pointer index expression with base 0x%08lx overflowed to 0x%08lx",
          (unsigned long)base, (unsigned long)result);
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(vla_bound_not_positive,
              (const ubsan_type_data *d, ubsan_value bound), (d, bound)) {
  msg_t m = {.len = 0};
  msg_add(&m, "variable length array bound evaluates to non-positive value ");
  msg_value(&m, d->type, bound);
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(float_cast_overflow,
              (const ubsan_float_cast_data *d, ubsan_value from), (d, from)) {
  msg_t m = {.len = 0};
  (void)from;
  msg_add(&m, "value of type %s is outside the range of representable "
          "values of type %s", type_name(d->from_type),
          type_name(d->to_type));
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(nonnull_arg, (const ubsan_nonnull_arg_data *d), (d)) {
  msg_t m = {.len = 0};
  msg_add(&m, "null pointer passed as argument %d, which is declared to "
          "never be null", d->arg_index);
  report_and_abort(&d->loc, &m);
}

UBSAN_HANDLER(nonnull_return_v1,
              (const ubsan_nonnull_return_data *d,
               const ubsan_source_location *loc),
              (d, loc)) {
  msg_t m = {.len = 0};
  msg_add(&m, "null pointer returned from function declared to never "
          "return null (attribute at %s:%lu)",
          d->attr_loc.filename != NULL ? d->attr_loc.filename : "?",
          (unsigned long)d->attr_loc.line);
  report_and_abort(loc, &m);
}

UBSAN_HANDLER(invalid_builtin, (const ubsan_invalid_builtin_data *d), (d)) {
  msg_t m = {.len = 0};
  msg_add(&m, "passing zero to %s, which is not a valid argument",
          d->kind == 0 ? "ctz()" : "clz()");
  report_and_abort(&d->loc, &m);
}

/* Always fatal in libubsan too: no _abort variant. */
void __ubsan_handle_builtin_unreachable(const ubsan_location_data *d);
NO_SANITIZE void __ubsan_handle_builtin_unreachable(
    const ubsan_location_data *d) {
  msg_t m = {.len = 0};
  msg_add(&m, "execution reached an unreachable program point");
  report_and_abort(&d->loc, &m);
}

void __ubsan_handle_missing_return(const ubsan_location_data *d);
NO_SANITIZE void __ubsan_handle_missing_return(const ubsan_location_data *d) {
  msg_t m = {.len = 0};
  msg_add(&m, "execution reached the end of a value-returning function "
          "without returning a value");
  report_and_abort(&d->loc, &m);
}

/* C++ vptr checks: see the header comment -- not checked here. */
void __ubsan_handle_dynamic_type_cache_miss(const void *d, ubsan_value ptr,
                                            ubsan_value hash);
void __ubsan_handle_dynamic_type_cache_miss(const void *d, ubsan_value ptr,
                                            ubsan_value hash) {
  (void)d;
  (void)ptr;
  (void)hash;
}
void __ubsan_handle_dynamic_type_cache_miss_abort(const void *d,
                                                  ubsan_value ptr,
                                                  ubsan_value hash);
void __ubsan_handle_dynamic_type_cache_miss_abort(const void *d,
                                                  ubsan_value ptr,
                                                  ubsan_value hash) {
  (void)d;
  (void)ptr;
  (void)hash;
}
