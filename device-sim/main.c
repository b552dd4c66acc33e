/* otasim: the device simulator (one device or a fleet). */
#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "usage: otasim make-firmware|init|run|boot|status|fleet ...\n");
	return 2;
}
