/* The release of otad, otactl and otasim (one version for the three):
 * --version and /metrics' otad_build_info. */
#ifndef UTIL_VERSION_H
#define UTIL_VERSION_H

#define OTA_VERSION "0.1.0"

#endif
