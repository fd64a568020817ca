/* blimp's version, shared by blimpd and blimp (and checked against debian/changelog's
 * upstream version by tests/package/run.sh). */
#pragma once
#define BLIMP_VERSION "0.1.0"
