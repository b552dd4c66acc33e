/* otactl: the release manager's offline tool (keys, roots, signing). */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	(void)argv;
	fprintf(stderr, "usage: otactl key|root|release|verify ...\n");
	return argc > 1 ? 2 : 2;
}
