/* SHA-256 (FIPS 180-4), written for dualrel's finding fingerprints. */
#ifndef DUALREL_SHA256_H
#define DUALREL_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* the digest of data[0..len) into out[0..32) */
void dualrel_sha256(const unsigned char *data, size_t len, unsigned char out[32]);

#endif
