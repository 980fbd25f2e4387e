/*
 * probe.c - a program whose recording is known in advance, for
 * tests/script/test_record_live.sh.  It prints the address of its
 * mapping, then: writes its four pages in ascending order (one ranged
 * `w` touch), forks a child that reads page 2 and unmaps page 3, waits
 * for it, write-protects page 0, reads it and unmaps everything.  Every
 * access goes through a volatile pointer so the compiler keeps them all,
 * in this order.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

int main(void)
{
	char *a = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return 1;
	printf("%p\n", (void *)a);
	fflush(stdout);
	volatile char *v = a;
	v[0] = 1;
	v[PAGE] = 1;
	v[2 * PAGE] = 1;
	v[3 * PAGE] = 1;
	pid_t pid = fork();
	if (pid == 0) {
		(void)v[2 * PAGE];
		munmap(a + 3 * PAGE, PAGE);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	mprotect(a, PAGE, PROT_READ);
	(void)v[0];
	munmap(a, 4 * PAGE);
	return 0;
}
