#!/bin/bash
# The built-in guest on plain QEMU (no libvirt, no blimpd): tools, agent frames, exit
# statuses, output cap, data disk, swap disk, blimp.cmd, blimp.nomod (guest/selftest.sh).
cd "$(dirname "$0")/../.." && exec guest/selftest.sh
