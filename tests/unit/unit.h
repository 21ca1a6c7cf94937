/* nook - a tiny assertion helper for the C unit tests.
 *
 *   #include "unit.h"
 *   static void test_foo (void) { CHECK (1 + 1 == 2); CHECK_STR_EQ (s, "x"); }
 *   int main (void) { RUN_TEST (test_foo); return unit_finish (); }
 *
 * Every CHECK counts one assertion; a failed one prints "file:line: ..." to
 * stderr and the run goes on.  unit_finish() prints exactly
 * "N passed, N failed" and returns the exit status (1 when anything failed).
 * Header only: one test program per .c file includes it once.
 */
#ifndef NOOK_UNIT_H
#define NOOK_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned unit_passed __attribute__ ((unused));
static unsigned unit_failed __attribute__ ((unused));

static inline bool __attribute__ ((unused, format (printf, 4, 5)))
unit_check (bool ok, const char *file, int line, const char *fmt, ...)
{
  va_list ap;

  if (ok)
    {
      unit_passed++;
      return true;
    }
  unit_failed++;
  fprintf (stderr, "%s:%d: FAIL: ", file, line);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  return false;
}

/* Each macro evaluates to true when the check passed, so a test can stop
 * early: if (!CHECK_NOT_NULL (doc)) return; */
#define CHECK(cond) unit_check ((cond), __FILE__, __LINE__, "%s", #cond)

#define CHECK_MSG(cond, ...) unit_check ((cond), __FILE__, __LINE__, __VA_ARGS__)

#define CHECK_INT_EQ(a, b)                                                                 \
  ({                                                                                       \
    long long _a = (long long) (a), _b = (long long) (b);                                  \
    unit_check (_a == _b, __FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b);   \
  })

#define CHECK_UINT_EQ(a, b)                                                                \
  ({                                                                                       \
    unsigned long long _a = (unsigned long long) (a), _b = (unsigned long long) (b);       \
    unit_check (_a == _b, __FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, _a, _b);   \
  })

/* NULL-safe: two NULLs are equal, NULL and a string are not. */
#define CHECK_STR_EQ(a, b)                                                                 \
  ({                                                                                       \
    const char *_a = (a), *_b = (b);                                                       \
    unit_check ((_a == NULL && _b == NULL) || (_a && _b && strcmp (_a, _b) == 0),          \
                __FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,                  \
                _a ? _a : "(null)", _b ? _b : "(null)");                                   \
  })

#define CHECK_STR_CONTAINS(haystack, needle)                                               \
  ({                                                                                       \
    const char *_h = (haystack), *_n = (needle);                                           \
    unit_check (_h && _n && strstr (_h, _n) != NULL, __FILE__, __LINE__,                   \
                "%s contains %s: \"%s\" does not contain \"%s\"", #haystack, #needle,      \
                _h ? _h : "(null)", _n ? _n : "(null)");                                   \
  })

#define CHECK_NULL(p) unit_check ((p) == NULL, __FILE__, __LINE__, "%s is NULL", #p)
#define CHECK_NOT_NULL(p) unit_check ((p) != NULL, __FILE__, __LINE__, "%s is not NULL", #p)

/* Run one test function, naming it when it fails. */
#define RUN_TEST(fn)                                                                       \
  do                                                                                       \
    {                                                                                      \
      unsigned _before = unit_failed;                                                      \
      fn ();                                                                               \
      if (unit_failed != _before)                                                          \
        fprintf (stderr, "-- %s: %u failed\n", #fn, unit_failed - _before);                \
    }                                                                                      \
  while (0)

static inline int __attribute__ ((unused))
unit_finish (void)
{
  printf ("%u passed, %u failed\n", unit_passed, unit_failed);
  fflush (stdout);
  return unit_failed ? 1 : 0;
}

#endif
