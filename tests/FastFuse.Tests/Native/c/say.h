/* say(): one line on stdout, whole and flushed at once, from any thread: the test programs' report to the tests,
 * which read stdout line by line while the program runs. */
#ifndef SAY_H
#define SAY_H
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	va_list ap;
	pthread_mutex_lock(&lock);
	va_start(ap, fmt); vprintf(fmt, ap); va_end(ap);
	putchar('\n'); fflush(stdout);
	pthread_mutex_unlock(&lock);
}
#endif
