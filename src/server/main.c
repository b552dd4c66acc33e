/* otad: the OTA update daemon. */
#include <stdio.h>

#include "sign/crypto.h"
#include "util/log.h"

int
main(void)
{
	if (sign_init() != 0)
		fatal(1, "libsodium failed to initialise");
	log_info("otad skeleton");
	return 0;
}
