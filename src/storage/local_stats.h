/* local_stats.h - counters of the local storage backend: how many image files
 * and bytes it has read to hash them since the process started. Tests and
 * benchmarks use them to prove that a cached listing reads no image. */
#ifndef PHOTOPUB_STORAGE_LOCAL_STATS_H
#define PHOTOPUB_STORAGE_LOCAL_STATS_H

#include <stdint.h>

uint64_t local_storage_files_hashed(void);
uint64_t local_storage_bytes_hashed(void);

#endif
