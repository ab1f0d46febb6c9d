"""Certified electronic copies (bản sao điện tử, Nghị định 30/2020/NĐ-CP): the agency's PAdES signature on an archival
PDF, with its visible stamp, a trusted timestamp and the validation material embedded, so that it verifies offline
for decades. `keys` opens the agency's key (PKCS#12 file or PKCS#11 token), `stamp` draws the mark, `pades` signs,
verifies and renews timestamps. A stage package: it imports `schemas` only, and persists nothing."""
